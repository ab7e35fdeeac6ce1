import Foundation
import KMeans
import KMeansTestSupport

/// scikit-learn's answers, written by Scripts/generate-sklearn-fixtures.py.
struct SklearnFixture: Decodable {
  struct Case: Decodable {
    var name: String
    var dtype: String
    var initialCenters: [[Double]]
    var labels: [Int]
    var inertia: Double
    var iterations: Int
    var centers: [[Double]]
  }

  var sklearn: String
  var blobs: [[Double]]
  var cases: [Case]
  var digitsAdjustedRandIndex: Double

  static let shared: SklearnFixture = {
    let url = TestData.root.appendingPathComponent("Tests/KMeansTests/Fixtures/sklearn-lloyd.json")
    do {
      return try JSONDecoder().decode(SklearnFixture.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }()
}
