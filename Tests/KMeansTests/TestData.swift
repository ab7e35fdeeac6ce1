import Foundation
import KMeans
import KMeansIO

/// Paths and data shared by the tests of this bundle.
enum TestData {
  /// The repository root, found from this file's path.
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  /// scikit-learn's handwritten digits: 1797 × 64 features and the true digit.
  static func digits<Scalar: KMeansScalar>(_: Scalar.Type) throws -> (Matrix<Scalar>, [String]) {
    var options = CSVReadOptions()
    options.labelColumn = .name("digit")
    let dataset = try CSVReader.read(path("Data/digits.csv"), options: options, as: Scalar.self)
    return (dataset.matrix, dataset.labels ?? [])
  }

  /// `rows` points around `clusters` seeded centers in [-10, 10]^d, with noise in [-1, 1].
  static func blobs<Scalar: KMeansScalar>(
    rows: Int, dimension: Int, clusters: Int, seed: UInt64, as _: Scalar.Type = Scalar.self
  ) throws -> Matrix<Scalar> {
    var random = RandomSource(seed: seed)
    let centers = (0..<(clusters * dimension)).map { _ in random.nextUnit() * 20 - 10 }
    var values: [Scalar] = []
    values.reserveCapacity(rows * dimension)
    for _ in 0..<rows {
      let center = random.nextIndex(below: clusters)
      for column in 0..<dimension {
        values.append(Scalar(centers[center * dimension + column] + random.nextUnit() * 2 - 1))
      }
    }
    return try Matrix(rowCount: rows, columnCount: dimension, values: values)
  }
}

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
