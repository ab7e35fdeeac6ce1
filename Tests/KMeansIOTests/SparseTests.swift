import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

/// scikit-learn's KMeans on the TF-IDF fixture (Scripts/generate-sklearn-fixtures.py).
struct SparseFixture: Decodable {
  struct Case: Decodable {
    var dtype: String
    var shape: [Int]
    var nonzeros: Int
    var labels: [Int]
    var inertia: Double
    var iterations: Int
    var centers: [[Double]]
    var transformFirstRows: [[Double]]
  }

  var sklearn: String
  var cases: [Case]

  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  static let shared: SparseFixture = {
    do {
      return try JSONDecoder().decode(
        SparseFixture.self,
        from: Data(contentsOf: URL(fileURLWithPath: path("sklearn-sparse.json"))))
    } catch {
      fatalError("cannot read the sparse fixture: \(error)")
    }
  }()
}

@Suite("Sparse input")
struct SparseTests {
  @Test("svmlight, compressed .npz and stored float32 .npz hold the same TF-IDF matrix")
  func readersAgree() throws {
    let svm = try SVMLightFile.read(SparseFixture.path("tfidf.svmlight"), as: Double.self)
    let npz = try SciPySparseFile.read(SparseFixture.path("tfidf.npz"), as: Double.self)
    let stored = try SciPySparseFile.read(
      SparseFixture.path("tfidf-float32-uncompressed.npz"), as: Float.self)
    let known = SparseFixture.shared.cases[0]
    #expect([npz.rowCount, npz.columnCount] == known.shape)
    #expect(npz.nonZeroCount == known.nonzeros)
    #expect(svm.matrix.rowCount == npz.rowCount && svm.matrix.nonZeroCount == npz.nonZeroCount)
    #expect(svm.matrix.rowOffsets == npz.rowOffsets)
    #expect(svm.matrix.columnIndices == npz.columnIndices)
    // scikit-learn prints svmlight values with 16 significant digits.
    #expect(zip(svm.matrix.values, npz.values).allSatisfy { abs($0 - $1) <= 1e-15 * abs($1) })
    #expect(stored.values == npz.values.map(Float.init))
    #expect(svm.labels?.count == npz.rowCount)
  }

  @Test(
    "Lloyd on the sparse TF-IDF matrix matches scikit-learn", arguments: ["float64", "float32"])
  func matchesScikitLearn(dtype: String) throws {
    let known = try #require(SparseFixture.shared.cases.first { $0.dtype == dtype })
    if dtype == "float32" {
      try check(known, as: Float.self)
    } else {
      try check(known, as: Double.self)
    }
  }

  func check<Scalar: KMeansScalar>(_ known: SparseFixture.Case, as _: Scalar.Type) throws {
    let data = try SciPySparseFile.read(SparseFixture.path("tfidf.npz"), as: Scalar.self)
    var configuration = KMeansConfiguration(clusterCount: 8)
    configuration.initialization = .centers(
      data.rows(Array(0..<8)).dense().converted(to: Double.self))
    let result = try KMeansModel.fit(data, configuration: configuration)
    if Scalar.self == Float.self {
      // scikit-learn sums float32 centers in float32 (we sum in Double); on this TF-IDF matrix,
      // full of near-ties (short documents, shared terms), the two runs part ways after a few
      // iterations (scikit-learn's own float32 and float64 runs differ by 0.7 % in inertia).
      // Both must reach a clustering of the same quality.
      let agreement = try ClusteringAgreement.adjustedRandIndex(result.labels, known.labels)
      #expect(abs(result.model.inertia - known.inertia) / known.inertia < 2e-3)
      #expect(agreement > 0.75)
      return
    }
    #expect(result.labels == known.labels)
    #expect(result.model.iterationCount == known.iterations)
    #expect(
      abs(result.model.inertia - known.inertia) / known.inertia < 1e-5,
      "inertia \(result.model.inertia) vs scikit-learn \(known.inertia)")
    for (row, center) in known.centers.enumerated() {
      for (column, value) in center.enumerated() {
        #expect(abs(Double(result.model.centers[row, column]) - value) < 1e-5)
      }
    }
    let transformed = try result.model.transform(data.rows(Array(0..<5)))
    for (row, distances) in known.transformFirstRows.enumerated() {
      for (center, distance) in distances.enumerated() {
        // transform gives Euclidean distances, as scikit-learn's.
        let ours = Double(transformed[row, center])
        #expect(abs(ours - distance) < 1e-4, "row \(row), center \(center)")
      }
    }
  }

  /// A random sparse matrix and its dense twin.
  func randomSparse(rows: Int, columns: Int, density: Double, seed: UInt64) throws
    -> SparseMatrix<Double>
  {
    var random = RandomSource(seed: seed)
    var offsets = [0]
    var indices: [Int64] = []
    var values: [Double] = []
    for _ in 0..<rows {
      // Each row leans towards one of 5 groups of columns: clusters to find.
      let group = random.nextIndex(below: 5)
      for column in 0..<columns where random.nextUnit() < density {
        indices.append(Int64(column))
        values.append(random.nextUnit() + (column % 5 == group ? 3 : 0))
      }
      offsets.append(values.count)
    }
    return try SparseMatrix(
      rowCount: rows, columnCount: columns, rowOffsets: offsets, columnIndices: indices,
      values: values)
  }

  @Test("sparse and dense input give the same clustering, with weights, both metrics")
  func sparseEqualsDense() throws {
    let sparse = try randomSparse(rows: 3000, columns: 40, density: 0.2, seed: 8)
    let dense = sparse.dense()
    let weights = (0..<sparse.rowCount).map { Double($0 % 3) + 0.5 }
    for metric in [DistanceMetric.squaredEuclidean, .cosine] {
      var configuration = KMeansConfiguration(clusterCount: 5)
      configuration.metric = metric
      configuration.seed = 3
      let fromSparse = try KMeansModel.fit(sparse, weights: weights, configuration: configuration)
      let fromDense = try KMeansModel.fit(dense, weights: weights, configuration: configuration)
      #expect(fromSparse.labels == fromDense.labels, "\(metric)")
      #expect(
        abs(fromSparse.model.inertia - fromDense.model.inertia) < 1e-9 * fromDense.model.inertia)
      for row in 0..<5 {
        for column in 0..<40 {
          #expect(
            abs(fromSparse.model.centers[row, column] - fromDense.model.centers[row, column]) < 1e-9
          )
        }
      }
      let model = fromDense.model
      #expect(try model.predict(sparse) == model.predict(dense))
      #expect(
        abs(try model.score(sparse, weights: weights) - model.score(dense, weights: weights)) < 1e-6
      )
      let a = try model.transform(sparse)
      let b = try model.transform(dense)
      #expect(zip(a.values, b.values).allSatisfy { abs($0 - $1) < 1e-9 })
    }
  }

  @Test("sparse mini-batch: same bits on 1 and 2 threads, close to full batch")
  func sparseMiniBatch() throws {
    let sparse = try randomSparse(rows: 20000, columns: 30, density: 0.15, seed: 2)
    var configuration = KMeansConfiguration(clusterCount: 5)
    configuration.seed = 1
    let full = try KMeansModel.fit(sparse, configuration: configuration)
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 1024
    configuration.threadCount = 1
    let one = try fitMiniBatch(sparse, configuration: configuration, miniBatch: miniBatch)
    configuration.threadCount = 2
    let two = try fitMiniBatch(sparse, configuration: configuration, miniBatch: miniBatch)
    #expect(one.model.centers == two.model.centers)
    #expect(one.model.inertia < 1.05 * full.model.inertia)
  }

  @Test("write and read back: .npz (stored) and svmlight")
  func roundTrips() throws {
    let sparse = try randomSparse(rows: 50, columns: 12, density: 0.3, seed: 4)
    let npz = try temporaryPath("m.npz")
    try SciPySparseFile.write(sparse, to: npz)
    #expect(try SciPySparseFile.read(npz, as: Double.self) == sparse)
    let svm = try temporaryPath("m.svmlight")
    try SVMLightFile.write(sparse, to: svm)
    let back = try SVMLightFile.read(svm, as: Double.self, indexBase: .zeroBased, columnCount: 12)
    #expect(back.matrix == sparse)
  }

  @Test("svmlight: one-based libsvm files, qid, comments; errors name line and column")
  func svmlightDetails() throws {
    let text = """
      # a comment line
      1 qid:3 1:0.5 3:2 # trailing comment
      -1 2:1.5

      +1 1:1 4:4
      """
    let data = try SVMLightFile.parse(text: text, as: Float.self)
    #expect(data.matrix.rowCount == 3 && data.matrix.columnCount == 4)
    #expect(data.labels == ["1", "-1", "+1"])
    #expect(data.matrix.dense().values == [0.5, 0, 2, 0, 0, 1.5, 0, 0, 1, 0, 0, 4])
    #expect(
      throws: KMeansError.parse(path: "f", line: 2, column: 5, message: "'x' is not a number")
    ) {
      try SVMLightFile.parse(text: "1 1:2\n0 3:x\n", name: "f", as: Float.self)
    }
    #expect(
      throws: KMeansError.parse(
        path: "f", line: 1, column: 3, message: "expected index:value, found '7'")
    ) {
      try SVMLightFile.parse(text: "1 7\n", name: "f", as: Float.self)
    }
  }

  @Test("bad sparse files and matrices are typed errors")
  func badInput() throws {
    let path = try temporaryPath("bad.npz")
    try Data("not a zip".utf8).write(to: URL(fileURLWithPath: path))
    #expect(throws: KMeansError.self) { try SciPySparseFile.read(path, as: Float.self) }
    #expect(
      throws: KMeansError.shapeMismatch("row 1 has column index 9, outside 0..<3")
    ) {
      try SparseMatrix<Float>(
        rowCount: 2, columnCount: 3, rowOffsets: [0, 1, 2], columnIndices: [0, 9], values: [1, 2])
    }
    #expect(throws: KMeansError.nonFiniteValue(row: 0, column: 2)) {
      try SparseMatrix<Float>(
        rowCount: 1, columnCount: 3, rowOffsets: [0, 1], columnIndices: [2], values: [.nan])
    }
    let empty = try SparseMatrix<Float>(
      rowCount: 2, columnCount: 3, rowOffsets: [0, 1, 1], columnIndices: [0], values: [1])
    var configuration = KMeansConfiguration(clusterCount: 1)
    configuration.metric = .cosine
    #expect(throws: KMeansError.zeroRowUnderCosine(row: 1)) {
      try KMeansModel.fit(empty, configuration: configuration)
    }
  }
}
