/// Rows k-means trains on, whatever holds them: one protocol for dense and sparse matrices in
/// memory and for sources read a batch at a time, so that one
/// ``KMeansModel/fit(_:weights:configuration:observer:)`` trains on any of them.
///
/// ``Matrix``, ``CompactMatrix``, ``SparseMatrix``, every ``BatchSource`` and every
/// ``SparseBatchSource`` conform.
public protocol KMeansTrainable<Scalar> {
  /// The precision of the rows.
  associatedtype Scalar: KMeansScalar
  /// The rows, as the engine reads them.
  var trainingRows: TrainingRows<Scalar> { get }
}

/// Where a training run reads its rows from.
public enum TrainingRows<Scalar: KMeansScalar> {
  /// Dense rows in memory.
  case dense(Matrix<Scalar>)
  /// Sparse (CSR) rows in memory, never densified.
  case sparse(SparseMatrix<Scalar>)
  /// Dense rows in memory at their own width (float16, bfloat16, uint8, int8), widened a
  /// piece at a time as the engine reads them.
  case compact(CompactMatrix<Scalar>)
  /// Dense rows read a batch at a time (one pass per full-batch iteration); sample weights
  /// come from the source (``BatchSource/lastBatchWeights``, e.g. ``WeightedBatches``).
  case stream(any BatchSource<Scalar>)
  /// Sparse rows read a batch at a time.
  case sparseStream(any SparseBatchSource<Scalar>)
}

extension TrainingRows: KMeansTrainable {
  /// Itself.
  public var trainingRows: TrainingRows<Scalar> { self }
}

extension Matrix: KMeansTrainable {
  /// The matrix's rows, in memory.
  public var trainingRows: TrainingRows<Scalar> { .dense(self) }
}

extension SparseMatrix: KMeansTrainable {
  /// The matrix's rows, in memory.
  public var trainingRows: TrainingRows<Scalar> { .sparse(self) }
}

extension BatchSource {
  /// The source, read a batch at a time.
  public var trainingRows: TrainingRows<Scalar> { .stream(self) }
}

extension SparseBatchSource {
  /// The source, read a batch at a time.
  public var trainingRows: TrainingRows<Scalar> { .sparseStream(self) }
}

extension TrainingRows {
  /// The number of feature columns.
  public var columnCount: Int {
    switch self {
    case .dense(let matrix): matrix.columnCount
    case .sparse(let matrix): matrix.columnCount
    case .compact(let matrix): matrix.columnCount
    case .stream(let source): source.columnCount
    case .sparseStream(let source): source.columnCount
    }
  }

  /// Whether the rows are sparse (in memory or streamed).
  public var isSparse: Bool {
    switch self {
    case .dense, .compact, .stream: false
    case .sparse, .sparseStream: true
    }
  }

  /// Refuses sample weights given beside a source: a source carries its own, batch for batch
  /// (``WeightedBatches``), so that they stay beside their rows.
  package func refuseWeightsBesideStream(_ weights: [Double]?) throws {
    switch self {
    case .dense, .sparse, .compact: return
    case .stream, .sparseStream:
      guard weights == nil else {
        throw KMeansError.invalidConfiguration(
          "weights given beside a stream: a stream carries its own (WeightedBatches, or lastBatchWeights)"
        )
      }
    }
  }
}

extension TrainingRows {
  /// Calls `body` with each batch of at most `maxRows` rows and its weights: a source's
  /// batches from its first row (rewound first), or rows in memory as one batch.
  func forEachBatch(
    maxRows: Int, _ body: (TrainingRows, _ weights: [Double]?) throws -> Void
  ) throws {
    switch self {
    case .dense, .sparse: try body(self, nil)
    case .compact(let matrix):
      for start in stride(from: 0, to: matrix.rowCount, by: max(1, maxRows)) {
        let rows = start..<min(matrix.rowCount, start + max(1, maxRows))
        try body(.dense(matrix.widened(rows: rows, threadCount: 1)), nil)
      }
    case .stream(var source):
      try source.rewind()
      while let batch = try source.nextBatch(maxRows: maxRows) {
        try body(.dense(batch), source.lastBatchWeights)
      }
    case .sparseStream(var source):
      try source.rewind()
      while let batch = try source.nextBatch(maxRows: maxRows) {
        try body(.sparse(batch), source.lastBatchWeights)
      }
    }
  }
}
