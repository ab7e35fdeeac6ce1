import KMeansKernels

/// The rows one worker trains on, as the engine reads them: all in memory (one piece), or a
/// stream read a piece at a time. Pieces start on chunk boundaries, so a pass over a stream
/// adds the same numbers in the same order as a pass over the same rows in memory.
protocol RowSource<Data> {
  associatedtype Data: ClusterableData
  var columnCount: Int { get }
  /// The worker's rows, once known (in memory always; a stream after its first pass).
  var rowCount: Int? { get }
  /// All the rows, when they are in memory.
  var allRows: Data? { get }
  /// Reads every piece in order, with the index of its first row among the worker's rows.
  mutating func forEachPiece(_ body: (_ piece: Data, _ offset: Int) throws -> Void) throws
  /// Starts a pass read with ``nextPiece(maxRows:)``.
  mutating func startPass() throws
  /// The next piece of at most `maxRows` rows of the pass, or nil at its end.
  mutating func nextPiece(maxRows: Int) throws -> Data?
  /// Whether every row is held in memory (read in pieces or not): full-batch Lloyd then keeps
  /// bounds automatically (``LloydAlgorithm/automatic``).
  var isInMemory: Bool { get }
  /// The given rows (sorted indices among the worker's rows; any order where ``isInMemory``)
  /// and their weights; nil when `rowIndices` is empty.
  mutating func fetchRows(_ rowIndices: [Int]) throws -> Data?
  /// Every row, in memory (seeding on all rows of a small stream).
  mutating func loadAll() throws -> Data?
}

extension RowSource {
  /// Whether ``allRows`` holds the rows.
  var isInMemory: Bool { allRows != nil }

  /// The given rows (sorted indices among the worker's rows) and their weights; nil when
  /// `rowIndices` is empty.
  mutating func fetchRows(_ rowIndices: [Int]) throws -> Data? {
    guard !rowIndices.isEmpty else { return nil }
    if let allRows { return allRows.gathered(rowIndices) }
    var message: [Double] = []
    var weights: [Double] = []
    var weighted = false
    var template: Data? = nil
    var next = 0
    try forEachPiece { piece, offset in
      var local: [Int] = []
      while next < rowIndices.count && rowIndices[next] < offset + piece.rowCount {
        local.append(rowIndices[next] - offset)
        next += 1
      }
      guard !local.isEmpty else { return }
      template = template ?? piece
      message += piece.serialized(local)
      if let pieceWeights = piece.weights {
        weighted = true
        weights += local.map { pieceWeights[$0] }
      } else {
        weights += local.map { _ in 1 }
      }
    }
    return template?.deserialized(message, weights: weighted ? weights : nil)
  }

  /// Every row, in memory (seeding on all rows of a small stream).
  mutating func loadAll() throws -> Data? {
    if let allRows { return allRows }
    var message: [Double] = []
    var weights: [Double] = []
    var weighted = false
    var template: Data? = nil
    try forEachPiece { piece, _ in
      template = template ?? piece
      message += piece.serialized(Array(0..<piece.rowCount))
      if let pieceWeights = piece.weights {
        weighted = true
        weights += pieceWeights
      } else {
        weights += [Double](repeating: 1, count: piece.rowCount)
      }
    }
    return template?.deserialized(message, weights: weighted ? weights : nil)
  }
}

/// A worker's rows in memory: one piece.
struct MemoryRows<Data: ClusterableData>: RowSource {
  let data: Data
  var columnCount: Int { data.columnCount }
  var rowCount: Int? { data.rowCount }
  var allRows: Data? { data }
  private var cursor = 0

  init(_ data: Data) { self.data = data }

  func forEachPiece(_ body: (Data, Int) throws -> Void) throws { try body(data, 0) }

  mutating func startPass() throws { cursor = 0 }

  mutating func nextPiece(maxRows: Int) throws -> Data? {
    guard cursor < data.rowCount else { return nil }
    defer { cursor = min(data.rowCount, cursor + maxRows) }
    return data.rows(cursor..<min(data.rowCount, cursor + maxRows))
  }
}

/// Shards of one step (TensorFlow's list of inputs): pieces at consecutive offsets.
struct ShardRows<Data: ClusterableData>: RowSource {
  let shards: [Data]
  var columnCount: Int { shards.first?.columnCount ?? 0 }
  var rowCount: Int? { shards.reduce(0) { $0 + $1.rowCount } }
  var allRows: Data? { shards.count == 1 ? shards[0] : nil }

  func forEachPiece(_ body: (Data, Int) throws -> Void) throws {
    var offset = 0
    for shard in shards {
      try body(shard, offset)
      offset += shard.rowCount
    }
  }

  func startPass() throws {}

  func nextPiece(maxRows: Int) throws -> Data? {
    throw KMeansError.invalidConfiguration("shards are read whole")
  }
}

/// A worker's rows read from a batch source, a piece of `pieceRows` rows at a time (a
/// multiple of the chunk size), each piece validated as it arrives; errors name the row
/// counted from the start of the source.
struct StreamRows<Data: ClusterableData>: RowSource {
  let columnCount: Int
  private(set) var rowCount: Int?
  let pieceRows: Int
  private let read: (_ maxRows: Int, _ firstRow: Int) throws -> Data?
  private let rewind: () throws -> Void
  /// The next row of a pass read with ``nextPiece(maxRows:)``.
  private var cursor = 0

  var allRows: Data? { nil }

  init(
    columnCount: Int, rowCount: Int?, pieceRows: Int,
    read: @escaping (Int, Int) throws -> Data?, rewind: @escaping () throws -> Void
  ) {
    self.columnCount = columnCount
    self.rowCount = rowCount
    self.pieceRows = pieceRows
    self.read = read
    self.rewind = rewind
  }

  mutating func forEachPiece(_ body: (Data, Int) throws -> Void) throws {
    try rewind()
    var offset = 0
    while let piece = try read(pieceRows, offset) {
      try body(piece, offset)
      offset += piece.rowCount
    }
    if let rowCount, rowCount != offset {
      throw KMeansError.shapeMismatch(
        "the stream gave \(offset) rows on this pass and \(rowCount) on an earlier one")
    }
    rowCount = offset
  }

  mutating func startPass() throws {
    try rewind()
    cursor = 0
  }

  mutating func nextPiece(maxRows: Int) throws -> Data? {
    guard let piece = try read(maxRows, cursor) else { return nil }
    cursor += piece.rowCount
    return piece
  }
}

/// Rows per piece of a stream: a multiple of both chunk sizes, and small enough (12 MiB of
/// 384 float32 columns) that a piece decoded from the file is still in cache when it is
/// checked, assigned and summed (65,536-row pieces made each of those a pass over memory: a
/// pass over 1M × 384 float16 rows took 0.43 s instead of 0.30 s).
let streamPieceRows = 2 * AssignmentPass.denseChunkRows

extension StreamRows {
  /// Dense rows from `source`, prepared for `metric` on `threadCount` workers.
  init<Source: BatchSource>(
    _ source: Source, metric: DistanceMetric, threadCount: Int, pieceRows: Int = streamPieceRows
  ) where Data == PreparedData<Source.Scalar> {
    let box = SourceBox(source)
    self.init(
      columnCount: source.columnCount, rowCount: source.rowCount, pieceRows: pieceRows,
      read: { maxRows, firstRow in
        // Whole pieces: batches are joined until `maxRows` rows or the end.
        var rows: Matrix<Source.Scalar>? = nil
        var weights: [Double]? = nil
        var weighted = false
        while (rows?.rowCount ?? 0) < maxRows,
          let batch = try box.source.nextBatch(maxRows: maxRows - (rows?.rowCount ?? 0))
        {
          guard batch.columnCount == box.source.columnCount else {
            throw KMeansError.dimensionMismatch(
              expected: box.source.columnCount, actual: batch.columnCount,
              context: "the stream's first batch")
          }
          let batchWeights = box.source.lastBatchWeights
          if let batchWeights, batchWeights.count != batch.rowCount {
            throw KMeansError.shapeMismatch(
              "\(batchWeights.count) sample weights for a batch of \(batch.rowCount) rows")
          }
          weighted = weighted || batchWeights != nil
          let before = rows?.rowCount ?? 0
          weights =
            (weights ?? [Double](repeating: 1, count: before))
            + (batchWeights ?? [Double](repeating: 1, count: batch.rowCount))
          rows = rows.map { $0.appendingRows(batch) } ?? batch
          if batch.rowCount == 0 { break }
        }
        guard let rows, rows.rowCount > 0 else { return nil }
        return try PreparedData(
          rows, metric: metric, threadCount: threadCount, weights: weighted ? weights : nil,
          firstRow: firstRow, allowZeroWeight: true)
      },
      rewind: { try box.source.rewind() })
  }

  /// Sparse rows from `source`, prepared for `metric` on `threadCount` workers.
  init<Source: SparseBatchSource>(
    sparse source: Source, metric: DistanceMetric, threadCount: Int,
    pieceRows: Int = streamPieceRows
  ) where Data == SparseData<Source.Scalar> {
    let box = SourceBox(source)
    self.init(
      columnCount: source.columnCount, rowCount: source.rowCount, pieceRows: pieceRows,
      read: { maxRows, firstRow in
        var batches: [SparseMatrix<Source.Scalar>] = []
        var weights: [Double] = []
        var weighted = false
        var count = 0
        while count < maxRows, let batch = try box.source.nextBatch(maxRows: maxRows - count) {
          guard batch.rowCount > 0 else { break }
          let batchWeights = box.source.lastBatchWeights
          weighted = weighted || batchWeights != nil
          weights += batchWeights ?? [Double](repeating: 1, count: batch.rowCount)
          batches.append(batch)
          count += batch.rowCount
        }
        guard count > 0 else { return nil }
        let rows = SparseMatrix.joining(batches, columnCount: box.source.columnCount)
        return try SparseData(
          rows, metric: metric, threadCount: threadCount, weights: weighted ? weights : nil,
          firstRow: firstRow, allowZeroWeight: true)
      },
      rewind: { try box.source.rewind() })
  }
}

/// A batch source shared by a stream's read and rewind closures.
// Safety: both closures run on the training loop's thread, one call at a time.
final class SourceBox<Source>: @unchecked Sendable {
  var source: Source
  init(_ source: Source) { self.source = source }
}
