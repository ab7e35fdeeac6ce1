import KMeans
import Testing

/// The README's library example, kept true.
@Suite("README")
struct ReadmeExampleTests {
  @Test("the five-line example prints what the README says")
  func example() throws {
    let points = try Matrix<Float>(
      rowCount: 6, columnCount: 2, values: [0, 0, 0, 1, 1, 0, 9, 9, 9, 8, 8, 9])
    let result = try KMeansModel.fit(points, configuration: KMeansConfiguration(clusterCount: 2))
    #expect(result.labels == [1, 1, 1, 0, 0, 0])
    #expect(abs(result.model.inertia - 8.0 / 3.0) < 1e-5)
    #expect(try result.model.predict(points) == result.labels)
  }
}
