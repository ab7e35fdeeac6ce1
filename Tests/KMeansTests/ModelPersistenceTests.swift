import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

@Suite("Model files")
struct ModelPersistenceTests {
  @Test("JSON round trip in both precisions keeps every bit")
  func roundTrip() throws {
    let directory = try temporaryDirectoryURL()
    defer { try? FileManager.default.removeItem(at: directory) }
    let (data, _) = try TestData.digits(Float.self)
    let model = try KMeansModel.fit(data, configuration: KMeansConfiguration(clusterCount: 5)).model
    let path = directory.appendingPathComponent("model.json").path
    try ModelFile.write(model, to: path)
    guard case .float(let loaded) = try ModelFile.read(path) else {
      Issue.record("a Float model loaded as Double")
      return
    }
    #expect(loaded == model)
    #expect(try loaded.predict(data) == model.predict(data))

    let double = KMeansModel(centers: model.centers.converted(to: Double.self), metric: .cosine)
    try ModelFile.write(double, to: path)
    guard case .double(let loadedDouble) = try ModelFile.read(path) else {
      Issue.record("a Double model loaded as Float")
      return
    }
    #expect(loadedDouble.centers == double.centers)
    #expect(loadedDouble.metric == .cosine)
    #expect(loadedDouble.inertia.isNaN)
    // Atomic writes leave no temporary files behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.json"])
  }
}
