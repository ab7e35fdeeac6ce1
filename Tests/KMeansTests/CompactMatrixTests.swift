import Foundation
import KMeansTestSupport
import Testing

@testable import KMeans

/// Rows kept at their own width (float16, bfloat16, uint8, int8) train, predict and score to the
/// bits of the same rows widened beforehand — over several pieces, with every algorithm, on one
/// thread and two — and bad rows are named.
@Suite("Rows kept at their own width")
struct CompactMatrixTests {
  /// Elements whose bytes this platform can make (Float16 is missing on macOS on Intel).
  static var elements: [CompactElement] {
    #if os(macOS) && arch(x86_64)
      return [.bfloat16, .uint8, .int8]
    #else
      return CompactElement.allCases
    #endif
  }

  /// The little-endian bytes of `value` as `element` (rounded to nearest for the floats,
  /// clamped for the bytes).
  static func bytes(_ value: Float, as element: CompactElement) -> [UInt8] {
    switch element {
    case .float16:
      #if os(macOS) && arch(x86_64)
        return []
      #else
        let bits = Float16(value).bitPattern
        return [UInt8(truncatingIfNeeded: bits), UInt8(bits >> 8)]
      #endif
    case .bfloat16:
      let bits = UInt16(truncatingIfNeeded: value.bitPattern >> 16)
      return [UInt8(truncatingIfNeeded: bits), UInt8(bits >> 8)]
    case .uint8: return [UInt8(max(0, min(255, (value * 20 + 128).rounded())))]
    case .int8: return [UInt8(bitPattern: Int8(max(-128, min(127, (value * 20).rounded()))))]
    }
  }

  /// `rows` rows of `columns` values around 20 centers, stored as `element` (no zero rows):
  /// 9,000 rows are three chunks of 4,096 rows, the last one ragged.
  static func data(_ element: CompactElement, rows: Int = 9_000, columns: Int = 6) throws
    -> CompactMatrix<Float>
  {
    var random = RandomSource(seed: 77)
    var bytes: [UInt8] = []
    for row in 0..<rows {
      for column in 0..<columns {
        let center = Float((row % 20 + column * 7) % 11) - 5
        var value = center + Float.random(in: -0.8..<0.8, using: &random)
        if column == 0 { value = abs(value) + 1 }  // no zero rows, under any element
        bytes += Self.bytes(value, as: element)
      }
    }
    return try CompactMatrix(rowCount: rows, columnCount: columns, element: element, bytes: bytes)
  }

  /// Each element under one metric or both (float16: both).
  static var fullBatchCases: [(CompactElement, DistanceMetric)] {
    let cases: [(CompactElement, DistanceMetric)] = [
      (.float16, .squaredEuclidean), (.float16, .cosine), (.bfloat16, .cosine),
      (.uint8, .squaredEuclidean), (.int8, .cosine),
    ]
    return cases.filter { elements.contains($0.0) }
  }

  static func configuration(
    _ metric: DistanceMetric, algorithm: LloydAlgorithm = .automatic, threads: Int = 2
  ) -> KMeansConfiguration {
    var configuration = KMeansConfiguration(clusterCount: 16)
    configuration.metric = metric
    configuration.algorithm = algorithm
    configuration.threadCount = threads
    configuration.seed = 5
    configuration.maxIterations = 10
    return configuration
  }

  static func expectSame(
    _ compact: KMeansFitResult<Float>, _ widened: KMeansFitResult<Float>, _ context: String
  ) {
    // Compared whole, reported briefly: the first row that differs.
    let label = zip(compact.labels, widened.labels).enumerated().first {
      $0.element.0 != $0.element.1
    }
    #expect(
      label == nil && compact.labels.count == widened.labels.count,
      "\(context) row \(label?.offset ?? -1)")
    let sameCenters = compact.model.centers.values == widened.model.centers.values
    #expect(sameCenters, "\(context) centers")
    let distance = zip(compact.distances, widened.distances).enumerated().first {
      $0.element.0.bitPattern != $0.element.1.bitPattern
    }
    #expect(distance == nil, "\(context) distance of row \(distance?.offset ?? -1)")
    #expect(compact.model.inertia.bitPattern == widened.model.inertia.bitPattern, "\(context)")
    #expect(compact.model.iterationCount == widened.model.iterationCount, "\(context)")
  }

  @Test(
    "full batch: the widened rows' bits, with every algorithm, one thread or two, with weights",
    arguments: fullBatchCases)
  func fullBatch(element: CompactElement, metric: DistanceMetric) throws {
    let compact = try Self.data(element)
    let widened = compact.widened()
    #expect(compact.byteCount == 9_000 * 6 * element.byteCount)
    // Not periodic in the piece size, so that a piece given another piece's weights shows.
    let weights = (0..<compact.rowCount).map { 0.5 + Double(($0 &* 7_919) % 97) / 32 }
    for algorithm in LloydAlgorithm.allCases {
      for threads in algorithm == .automatic ? [1, 2] : [2] {
        let configuration = Self.configuration(metric, algorithm: algorithm, threads: threads)
        let context = "\(element) \(metric) \(algorithm) \(threads) threads"
        let reference = try KMeansModel.fit(widened, configuration: configuration)
        Self.expectSame(
          try KMeansModel.fit(compact, configuration: configuration), reference, context)
        // The engine over pieces of one and of two chunks (a fit's pieces are 8 × threads
        // chunks: one piece here): the same bits.
        for pieceRows in [4_096, 8_192] {
          var rows = try CompactRows(
            compact, weights: nil, metric: metric, threadCount: threads, pieceRows: pieceRows)
          let pieces = try TrainingLoop<Float>(configuration: configuration).train(&rows)
          Self.expectSame(
            KMeansFitResult(
              model: pieces.model, labels: pieces.labels.map(Int.init), distances: pieces.distances),
            reference, context + " pieces of \(pieceRows) rows")
        }
        if algorithm == .automatic {
          var rows = try CompactRows(
            compact, weights: weights, metric: metric, threadCount: threads, pieceRows: 4_096)
          let pieces = try TrainingLoop<Float>(configuration: configuration).train(&rows)
          Self.expectSame(
            KMeansFitResult(
              model: pieces.model, labels: pieces.labels.map(Int.init), distances: pieces.distances),
            try KMeansModel.fit(widened, weights: weights, configuration: configuration),
            context + " weighted, pieces of 4,096 rows")
        }
      }
    }
  }

  @Test(
    "mini-batch, a seeding sample, restarts and FAISS's sample per center: the widened rows' bits",
    arguments: elements)
  func sampledSettings(element: CompactElement) throws {
    let compact = try Self.data(element)
    let widened = compact.widened()
    var miniBatch = Self.configuration(.squaredEuclidean)
    var settings = MiniBatchConfiguration()
    settings.batchSize = 512
    miniBatch.miniBatch = settings
    var sampled = Self.configuration(.cosine)
    sampled.seedingSampleSize = 3_000
    sampled.restarts = 2
    var perCenter = Self.configuration(.squaredEuclidean)
    perCenter.maxPointsPerCenter = 300
    for (name, configuration) in [
      ("mini-batch", miniBatch), ("seeding sample", sampled), ("max points per center", perCenter),
    ] {
      Self.expectSame(
        try KMeansModel.fit(compact, configuration: configuration),
        try KMeansModel.fit(widened, configuration: configuration), "\(element) \(name)")
    }
  }

  @Test("predict, score, transform and the silhouette read the rows as the widened ones do")
  func inference() throws {
    for element in Self.elements {
      let compact = try Self.data(element, rows: 9_000)
      let widened = compact.widened()
      let model = try KMeansModel.fit(widened, configuration: Self.configuration(.cosine)).model
      #expect(try model.predict(compact) == model.predict(widened))
      #expect(try model.score(compact).bitPattern == model.score(widened).bitPattern)
      #expect(try model.transform(compact) == model.transform(widened))
      let labels = try model.predict(widened)
      #expect(
        try ClusteringMetrics.silhouette(compact, labels: labels, sampleSize: 500)
          == ClusteringMetrics.silhouette(widened, labels: labels, sampleSize: 500))
    }
  }

  @Test("bad rows are named by their row and column, in any piece")
  func badRows() throws {
    // bfloat16 0x7FC0 is NaN; row 17,000 lies in the third piece on one thread.
    var bytes = [UInt8](repeating: 0x3F, count: 20_000 * 4 * 2)
    bytes[(17_000 * 4 + 3) * 2] = 0xC0
    bytes[(17_000 * 4 + 3) * 2 + 1] = 0x7F
    let nan = try CompactMatrix<Float>(
      rowCount: 20_000, columnCount: 4, element: .bfloat16, bytes: bytes)
    for threads in [1, 2] {
      var configuration = KMeansConfiguration(clusterCount: 2)
      configuration.threadCount = threads
      configuration.initialization = .random
      #expect(throws: KMeansError.nonFiniteValue(row: 17_000, column: 3)) {
        try KMeansModel.fit(nan, configuration: configuration)
      }
    }
    // A zero row under cosine: int8 zeros at row 9.
    var zero = [UInt8](repeating: 3, count: 40 * 5)
    for column in 0..<5 { zero[9 * 5 + column] = 0 }
    var cosine = KMeansConfiguration(clusterCount: 2)
    cosine.metric = .cosine
    cosine.initialization = .random
    #expect(throws: KMeansError.zeroRowUnderCosine(row: 9)) {
      try KMeansModel.fit(
        try CompactMatrix<Float>(rowCount: 40, columnCount: 5, element: .int8, bytes: zero),
        configuration: cosine)
    }
    #expect(throws: KMeansError.self) {
      try CompactMatrix<Float>(rowCount: 3, columnCount: 2, element: .float16, bytes: [1, 2, 3])
    }
    #expect(throws: KMeansError.invalidWeight(row: 1, value: -1)) {
      try KMeansModel.fit(
        try CompactMatrix<Float>(rowCount: 40, columnCount: 5, element: .uint8, bytes: zero),
        weights: [1, -1] + [Double](repeating: 1, count: 38),
        configuration: KMeansConfiguration(clusterCount: 2))
    }
  }

  @Test("Double work widens to the same values")
  func double() throws {
    let bytes = (0..<(600 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    let compact = try CompactMatrix<Double>(
      rowCount: 600, columnCount: 3, element: .uint8, bytes: bytes)
    #expect(compact.widened().values == bytes.map(Double.init))
    var configuration = KMeansConfiguration(clusterCount: 4)
    configuration.seed = 1
    let a = try KMeansModel.fit(compact, configuration: configuration)
    let b = try KMeansModel.fit(compact.widened(), configuration: configuration)
    #expect(a.labels == b.labels && a.model.centers == b.model.centers)
  }
}
