import KMeansKernels

/// A worker's rows kept at their own width (``CompactMatrix``), read as pieces of widened rows:
/// `8 × threadCount` chunks a piece, so that the passes run whole chunks (fewer chunks a worker
/// would be cut into smaller calls) and memory holds the compact rows plus one widened piece.
/// Pieces start on chunk boundaries, so every pass adds the same numbers in the same order as
/// a pass over the widened rows in memory: the same bits. The rows are in memory, so full-batch Lloyd keeps its bounds (``isInMemory``) and
/// seeding and mini-batches widen just the rows they draw.
struct CompactRows<Scalar: KMeansScalar>: RowSource {
  typealias Data = PreparedData<Scalar>
  let matrix: CompactMatrix<Scalar>
  let weights: [Double]?
  let metric: DistanceMetric
  let threadCount: Int
  let pieceRows: Int
  /// The next row of a pass read with ``nextPiece(maxRows:)``.
  private var cursor = 0

  var columnCount: Int { matrix.columnCount }
  var rowCount: Int? { matrix.rowCount }
  var allRows: PreparedData<Scalar>? { nil }
  var isInMemory: Bool { true }

  /// Rows of `matrix` (with one weight per row, or nil) prepared for `metric` on
  /// `threadCount` workers.
  /// - Throws: ``KMeansError`` for an empty matrix or bad weights (naming the row).
  init(
    _ matrix: CompactMatrix<Scalar>, weights: [Double]?, metric: DistanceMetric,
    threadCount: Int, pieceRows: Int? = nil
  ) throws {
    guard matrix.rowCount > 0 else { throw KMeansError.emptyInput("the data has no rows") }
    guard matrix.columnCount > 0 else {
      throw KMeansError.emptyInput("the data has no columns")
    }
    if let weights {
      try PreparedData<Scalar>.validate(weights: weights, rowCount: matrix.rowCount)
    }
    self.matrix = matrix
    self.weights = weights
    self.metric = metric
    self.threadCount = max(1, threadCount)
    self.pieceRows = pieceRows ?? 8 * self.threadCount * PreparedData<Scalar>.chunkRows
  }

  /// Rows `range`, widened, checked and (under cosine) normalised in one parallel pass, as
  /// ``PreparedData`` prepares rows; errors name the row of the matrix.
  func piece(_ range: Range<Int>) throws -> PreparedData<Scalar> {
    let prepared = matrix.prepared(
      rows: range, threadCount: threadCount, normalize: metric == .cosine)
    if let bad = prepared.nonFinite {
      throw KMeansError.nonFiniteValue(row: range.lowerBound + bad.row, column: bad.column)
    }
    if let zero = prepared.zeroRow {
      throw KMeansError.zeroRowUnderCosine(row: range.lowerBound + zero)
    }
    // The weights were checked whole by init.
    return PreparedData(
      prepared: prepared.rows, metric: metric, threadCount: threadCount,
      weights: weights.map { Array($0[range]) })
  }

  func forEachPiece(_ body: (PreparedData<Scalar>, Int) throws -> Void) throws {
    for start in stride(from: 0, to: matrix.rowCount, by: pieceRows) {
      try body(piece(start..<min(matrix.rowCount, start + pieceRows)), start)
    }
  }

  mutating func startPass() throws { cursor = 0 }

  mutating func nextPiece(maxRows: Int) throws -> PreparedData<Scalar>? {
    guard cursor < matrix.rowCount else { return nil }
    let range = cursor..<min(matrix.rowCount, cursor + max(1, maxRows))
    cursor = range.upperBound
    return try piece(range)
  }

  mutating func fetchRows(_ rowIndices: [Int]) throws -> PreparedData<Scalar>? {
    guard !rowIndices.isEmpty else { return nil }
    do {
      return try PreparedData(
        matrix.widened(gathering: rowIndices), metric: metric, threadCount: threadCount,
        weights: weights.map { weights in rowIndices.map { weights[$0] } },
        allowZeroWeight: true)
    } catch KMeansError.nonFiniteValue(let row, let column) {
      throw KMeansError.nonFiniteValue(row: rowIndices[row], column: column)
    } catch KMeansError.zeroRowUnderCosine(let row) {
      throw KMeansError.zeroRowUnderCosine(row: rowIndices[row])
    }
  }

  mutating func loadAll() throws -> PreparedData<Scalar>? {
    // One piece of every row: widened and normalised in place.
    try piece(0..<matrix.rowCount)
  }
}
