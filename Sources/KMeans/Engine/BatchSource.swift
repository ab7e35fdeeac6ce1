/// A source of dense row batches: a file read a piece at a time, so that training and
/// prediction run on data larger than memory. `KMeansIO` supplies readers for CSV, `.npy`
/// and `.fvecs` files; any type can conform.
///
/// Memory stays bounded by the batch: a reader holds at most one batch of rows (plus, for
/// CSV, one read buffer), whatever the file's size.
public protocol BatchSource<Scalar>: KMeansTrainable {
  /// The number of feature columns.
  var columnCount: Int { get }
  /// The number of rows, when known before reading them all (`.npy`), else nil (CSV).
  var rowCount: Int? { get }
  /// The next batch of at most `maxRows` rows, or nil at the end. A source returns `maxRows`
  /// rows whenever that many remain.
  mutating func nextBatch(maxRows: Int) throws -> Matrix<Scalar>?
  /// The sample weights of the rows of the last batch, when the source carries them (e.g. a
  /// CSV weight column); nil when every row weighs 1.
  var lastBatchWeights: [Double]? { get }
  /// Starts again from the first row.
  mutating func rewind() throws
}

extension BatchSource {
  /// No weights, unless the source says otherwise.
  public var lastBatchWeights: [Double]? { nil }
}

/// A source of sparse (CSR) row batches, e.g. an svmlight file read a piece at a time.
public protocol SparseBatchSource<Scalar>: KMeansTrainable {
  /// The number of feature columns.
  var columnCount: Int { get }
  /// The number of rows, when known before reading them all, else nil.
  var rowCount: Int? { get }
  /// The next batch of at most `maxRows` rows, or nil at the end (`maxRows` whenever that many
  /// remain).
  mutating func nextBatch(maxRows: Int) throws -> SparseMatrix<Scalar>?
  /// The sample weights of the rows of the last batch, or nil.
  var lastBatchWeights: [Double]? { get }
  /// Starts again from the first row.
  mutating func rewind() throws
}

extension SparseBatchSource {
  /// No weights, unless the source says otherwise.
  public var lastBatchWeights: [Double]? { nil }
}

/// A batch source with sample weights read from a second source of one column (e.g. a `.npy`
/// vector beside the data), batch for batch.
public struct WeightedBatches<Scalar: KMeansScalar>: BatchSource {
  private var rows: any BatchSource<Scalar>
  private var weights: WeightColumn

  /// Pairs `rows` with `weights`, which must have one column and as many rows.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when the weights have more than one column or
  ///   a different known row count.
  public init(_ rows: any BatchSource<Scalar>, weights: any BatchSource<Double>) throws {
    self.weights = try WeightColumn(weights, rowCount: rows.rowCount)
    self.rows = rows
  }

  /// The number of feature columns.
  public var columnCount: Int { rows.columnCount }
  /// The number of rows, when known.
  public var rowCount: Int? { rows.rowCount }
  /// The sample weights of the rows of the last batch, or nil.
  public var lastBatchWeights: [Double]? { weights.current }

  /// The next batch of at most `maxRows` rows, or nil at the end.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when the weights run out before the rows or
  ///   outlast them.
  public mutating func nextBatch(maxRows: Int) throws -> Matrix<Scalar>? {
    let batch = try rows.nextBatch(maxRows: maxRows)
    try weights.follow(rowCount: batch?.rowCount)
    return batch
  }

  /// Starts again from the first row.
  public mutating func rewind() throws {
    try rows.rewind()
    try weights.rewind()
  }
}

/// ``WeightedBatches`` for a sparse source.
public struct WeightedSparseBatches<Scalar: KMeansScalar>: SparseBatchSource {
  private var rows: any SparseBatchSource<Scalar>
  private var weights: WeightColumn

  /// Pairs `rows` with `weights`, which must have one column and as many rows.
  public init(_ rows: any SparseBatchSource<Scalar>, weights: any BatchSource<Double>) throws {
    self.weights = try WeightColumn(weights, rowCount: rows.rowCount)
    self.rows = rows
  }

  /// The number of feature columns.
  public var columnCount: Int { rows.columnCount }
  /// The number of rows, when known.
  public var rowCount: Int? { rows.rowCount }
  /// The sample weights of the rows of the last batch, or nil.
  public var lastBatchWeights: [Double]? { weights.current }

  /// The next batch of at most `maxRows` rows, or nil at the end.
  public mutating func nextBatch(maxRows: Int) throws -> SparseMatrix<Scalar>? {
    let batch = try rows.nextBatch(maxRows: maxRows)
    try weights.follow(rowCount: batch?.rowCount)
    return batch
  }

  /// Starts again from the first row.
  public mutating func rewind() throws {
    try rows.rewind()
    try weights.rewind()
  }
}

/// A one-column source of sample weights read in step with a source of rows.
private struct WeightColumn {
  private var source: any BatchSource<Double>
  /// The weights of the rows of the last batch.
  private(set) var current: [Double]? = nil

  init(_ source: any BatchSource<Double>, rowCount: Int?) throws {
    guard source.columnCount == 1 else {
      throw KMeansError.shapeMismatch("the weights have \(source.columnCount) columns, not 1")
    }
    if let a = rowCount, let b = source.rowCount, a != b {
      throw KMeansError.shapeMismatch("\(b) sample weights for \(a) rows")
    }
    self.source = source
  }

  /// Reads the weights of a batch of `rowCount` rows, or, at the end of the rows (nil), checks
  /// that no weights are left over.
  mutating func follow(rowCount: Int?) throws {
    guard let rowCount else {
      current = nil
      if try source.nextBatch(maxRows: 1) != nil {
        throw KMeansError.shapeMismatch("there are more sample weights than rows")
      }
      return
    }
    guard let values = try source.nextBatch(maxRows: rowCount), values.rowCount == rowCount else {
      throw KMeansError.shapeMismatch("there are fewer sample weights than rows")
    }
    current = values.values
  }

  mutating func rewind() throws {
    try source.rewind()
    current = nil
  }
}

/// A sparse matrix in memory served as batches (a `.npz` file read whole, streamed through
/// the same engine).
public struct SparseMatrixBatches<Scalar: KMeansScalar>: SparseBatchSource {
  private let matrix: SparseMatrix<Scalar>
  private var cursor: RowCursor

  /// Batches of `matrix`'s rows, with optional sample weights (one per row).
  public init(_ matrix: SparseMatrix<Scalar>, weights: [Double]? = nil) {
    self.matrix = matrix
    self.cursor = RowCursor(rowCount: matrix.rowCount, weights: weights)
  }

  /// The number of feature columns.
  public var columnCount: Int { matrix.columnCount }
  /// The number of rows, when known.
  public var rowCount: Int? { matrix.rowCount }
  /// The sample weights of the rows of the last batch, or nil.
  public var lastBatchWeights: [Double]? { cursor.lastWeights }

  /// The next batch of at most `maxRows` rows, or nil at the end.
  public mutating func nextBatch(maxRows: Int) throws -> SparseMatrix<Scalar>? {
    cursor.next(maxRows: maxRows).map { matrix.rows(Array($0)) }
  }

  /// Starts again from the first row.
  public mutating func rewind() throws { cursor.rewind() }
}

/// A dense matrix in memory served as batches (e.g. to stream rows that are already loaded
/// through the same engine, or in tests).
public struct MatrixBatches<Scalar: KMeansScalar>: BatchSource {
  private let matrix: Matrix<Scalar>
  private var cursor: RowCursor

  /// Batches of `matrix`'s rows, with optional sample weights (one per row).
  public init(_ matrix: Matrix<Scalar>, weights: [Double]? = nil) {
    self.matrix = matrix
    self.cursor = RowCursor(rowCount: matrix.rowCount, weights: weights)
  }

  /// The number of feature columns.
  public var columnCount: Int { matrix.columnCount }
  /// The number of rows.
  public var rowCount: Int? { matrix.rowCount }
  /// The weights of the rows of the last batch, or nil.
  public var lastBatchWeights: [Double]? { cursor.lastWeights }

  /// The next batch of at most `maxRows` rows, or nil at the end.
  public mutating func nextBatch(maxRows: Int) throws -> Matrix<Scalar>? {
    cursor.next(maxRows: maxRows).map { matrix.rows($0) }
  }

  /// Starts again from the first row.
  public mutating func rewind() throws { cursor.rewind() }
}

/// The position of an in-memory batch source: the next row and the rows of the last batch.
private struct RowCursor {
  let rowCount: Int
  let weights: [Double]?
  private var next = 0
  private var last: Range<Int> = 0..<0

  init(rowCount: Int, weights: [Double]?) {
    self.rowCount = rowCount
    self.weights = weights
  }

  /// The weights of the rows of the last batch, or nil.
  var lastWeights: [Double]? { weights.map { Array($0[last]) } }

  /// The rows of the next batch of at most `maxRows` rows, or nil at the end.
  mutating func next(maxRows: Int) -> Range<Int>? {
    guard next < rowCount else { return nil }
    last = next..<min(rowCount, next + max(1, maxRows))
    next = last.upperBound
    return last
  }

  mutating func rewind() {
    next = 0
    last = 0..<0
  }
}
