import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

/// Every bad input gets a typed error with a message that names the problem and the place.
@Suite("Errors")
struct ErrorTests {
  let points: Matrix<Double>

  init() throws {
    points = try Matrix<Double>(rows: [[0, 0], [1, 0], [0, 1], [5, 5], [6, 5]])
  }

  func fit(_ data: Matrix<Double>, _ configure: (inout KMeansConfiguration) -> Void = { _ in })
    throws -> KMeansFitResult<Double>
  {
    var configuration = KMeansConfiguration(clusterCount: 2)
    configure(&configuration)
    return try KMeansModel.fit(data, configuration: configuration)
  }

  @Test("empty input")
  func emptyInput() throws {
    let empty = try Matrix<Double>(rowCount: 0, columnCount: 3, values: [])
    #expect(throws: KMeansError.emptyInput("the data has no rows")) { try fit(empty) }
    let noColumns = try Matrix<Double>(rowCount: 3, columnCount: 0, values: [])
    #expect(throws: KMeansError.emptyInput("the data has no columns")) { try fit(noColumns) }
  }

  @Test("k ≤ 0 and other bad settings", arguments: [0, -3])
  func badClusterCount(k: Int) throws {
    let error = #expect(throws: KMeansError.self) { try fit(points) { $0.clusterCount = k } }
    #expect(error?.description == "invalid configuration: clusterCount=\(k) must be at least 1")
    #expect(throws: KMeansError.self) { try fit(points) { $0.maxIterations = 0 } }
    #expect(throws: KMeansError.self) { try fit(points) { $0.tolerance = -1 } }
    #expect(throws: KMeansError.self) { try fit(points) { $0.tolerance = .nan } }
    #expect(throws: KMeansError.self) { try fit(points) { $0.relativeTolerance = -1 } }
    #expect(throws: KMeansError.self) { try fit(points) { $0.restarts = 0 } }
    #expect(throws: KMeansError.self) { try fit(points) { $0.threadCount = 0 } }
  }

  @Test("fewer distinct points than k")
  func tooFewDistinctPoints() throws {
    let duplicated = try Matrix<Double>(rows: [
      [1, 1], [1, 1], [2, 2], [2, 2], [-0.0, 0], [0, 0],
    ])
    let error = #expect(throws: KMeansError.self) { try fit(duplicated) { $0.clusterCount = 4 } }
    #expect(error == .tooFewDistinctPoints(distinct: 3, clusterCount: 4))
    #expect(error?.description.contains("3 distinct point(s), fewer than the 4 clusters") == true)
    #expect(throws: Never.self) { try fit(duplicated) { $0.clusterCount = 3 } }
  }

  @Test("NaN and infinity name the row and column", arguments: [Double.nan, .infinity, -.infinity])
  func nonFinite(value: Double) throws {
    var data = points
    data[3, 1] = value
    let error = #expect(throws: KMeansError.self) { try fit(data) }
    #expect(error == .nonFiniteValue(row: 3, column: 1))
    #expect(error?.description == "non-finite value (NaN or infinity) at row 3, column 1")
    let model = try fit(points).model
    #expect(throws: KMeansError.nonFiniteValue(row: 3, column: 1)) { try model.predict(data) }
  }

  @Test("a zero row under cosine")
  func zeroRowUnderCosine() throws {
    var data = try Matrix<Double>(rows: [[1, 0], [1, 1], [0, 0], [5, 5], [6, 5]])
    #expect(throws: Never.self) { try fit(data.rows(3..<5)) { $0.metric = .cosine } }
    data[1, 1] = 0
    #expect(throws: KMeansError.zeroRowUnderCosine(row: 2)) {
      try fit(data) { $0.metric = .cosine }
    }
  }

  @Test("dimension mismatches: model vs data, given centers vs data")
  func dimensionMismatch() throws {
    let model = try fit(points).model
    let wide = try Matrix<Double>(rows: [[1, 2, 3]])
    let error = #expect(throws: KMeansError.self) { try model.predict(wide) }
    #expect(error == .dimensionMismatch(expected: 2, actual: 3, context: "the model"))
    #expect(throws: KMeansError.self) { try model.transform(wide) }
    #expect(throws: KMeansError.self) { try model.score(wide) }
    let centers = try Matrix<Double>(rows: [[0, 0, 0], [1, 1, 1]])
    #expect(
      throws: KMeansError.dimensionMismatch(expected: 2, actual: 3, context: "the initial centers")
    ) {
      try fit(points) { $0.initialization = .centers(centers) }
    }
    let nanCenters = try Matrix<Double>(rows: [[0, .nan], [1, 1]])
    #expect(throws: KMeansError.self) {
      try fit(points) { $0.initialization = .centers(nanCenters) }
    }
  }

  @Test("matrices reject values that do not fill their shape")
  func shapes() {
    #expect(throws: KMeansError.self) {
      try Matrix<Float>(rowCount: 2, columnCount: 2, values: [1, 2, 3])
    }
    #expect(throws: KMeansError.shapeMismatch("row 1 has 1 values, but row 0 has 2")) {
      try Matrix<Float>(rows: [[1, 2], [3]])
    }
  }

  @Test("a model file of the wrong precision or a corrupt one")
  func corruptModels() throws {
    let directory = try temporaryDirectoryURL()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("model.json").path
    try Data("{\"format\": \"swift-kmeans-model/1\", \"dtype\": \"float32\"".utf8).write(
      to: URL(fileURLWithPath: path))
    #expect(throws: KMeansError.self) { try ModelFile.read(path) }
    let badShape =
      #"{"format": "swift-kmeans-model/1", "dtype": "float64", "metric": "cosine", "#
      + #""centers": {"rows": 2, "columns": 2, "values": [1, 2, 3]}, "iterationCount": 0, "#
      + #""stopReason": "maxIterations", "iterationStatistics": []}"#
    try Data(badShape.utf8).write(to: URL(fileURLWithPath: path))
    #expect(
      throws: KMeansError.corruptFile(
        path: path, reason: "shape mismatch: 3 values cannot fill a 2 × 2 matrix")
    ) { try ModelFile.read(path) }
    try Data("{\"hello\": 1}".utf8).write(to: URL(fileURLWithPath: path))
    let error = #expect(throws: KMeansError.self) { try ModelFile.read(path) }
    #expect(error?.description.contains("not a swift-kmeans model") == true)
    #expect(throws: KMeansError.fileUnreadable(path: path + ".missing", reason: "no such file")) {
      try ModelFile.read(path + ".missing")
    }
  }
}
