import Dispatch

/// Prediction over a ``BatchSource`` (or ``SparseBatchSource``): files larger than memory,
/// assigned a batch at a time. Training on a source is
/// `KMeansModel.fit(_:weights:configuration:observer:)`, the one `fit`:
///
/// - Full batch (the default): exact Lloyd, one pass over the source per iteration — the same
///   labels, centers and losses as the same rows in memory, with Hamerly's bounds when asked
///   (``LloydAlgorithm/hamerly``). Neither scikit-learn nor FAISS offers this for data larger
///   than memory.
/// - Mini-batch (`configuration.miniBatch`): TensorFlow's rule on consecutive batches in
///   file order (shuffle a file whose rows are sorted), a pass per epoch.
///
/// Memory: one piece of 65,536 rows, the seeding sample, O(k·d), and 8 bytes per row (each
/// row's label and distance; 12 with Hamerly's bounds).
public enum StreamingKMeans {
  /// What a streamed pass over a source found.
  public struct Summary: Sendable {
    /// Rows read.
    public var rowCount: Int
    /// Σ distance from each row to its nearest center.
    public var inertia: Double
    /// Rows per cluster.
    public var clusterSizes: [Int]
  }

  /// Assigns every row of a source to its nearest center, one batch at a time, calling `body`
  /// with each batch's labels and distances; returns the totals (the inertia weighted by the
  /// source's weights).
  public static func predict<Source: BatchSource>(
    _ source: inout Source, model: KMeansModel<Source.Scalar>, batchRows: Int = 65_536,
    threadCount: Int? = nil,
    _ body: ([Int], [Source.Scalar]) throws -> Void = { _, _ in }
  ) throws -> Summary {
    try source.rewind()
    return try summarize(
      columnCount: source.columnCount, model: model,
      next: {
        try source.nextBatch(maxRows: batchRows).map {
          (try model.predictWithDistances($0, threadCount: threadCount), source.lastBatchWeights)
        }
      }, body)
  }

  /// ``predict(_:model:batchRows:threadCount:_:)`` for a sparse source.
  public static func predict<Source: SparseBatchSource>(
    sparse source: inout Source, model: KMeansModel<Source.Scalar>, batchRows: Int = 65_536,
    threadCount: Int? = nil,
    _ body: ([Int], [Source.Scalar]) throws -> Void = { _, _ in }
  ) throws -> Summary {
    try source.rewind()
    return try summarize(
      columnCount: source.columnCount, model: model,
      next: {
        try source.nextBatch(maxRows: batchRows).map {
          (try model.predictWithDistances($0, threadCount: threadCount), source.lastBatchWeights)
        }
      }, body)
  }

  /// The totals of the batches `next` assigns.
  static func summarize<Scalar: KMeansScalar>(
    columnCount: Int, model: KMeansModel<Scalar>,
    next: () throws -> ((labels: [Int], distances: [Scalar]), [Double]?)?,
    _ body: ([Int], [Scalar]) throws -> Void
  ) throws -> Summary {
    guard columnCount == model.dimension else {
      throw KMeansError.dimensionMismatch(
        expected: model.dimension, actual: columnCount, context: "the model")
    }
    var summary = Summary(
      rowCount: 0, inertia: 0, clusterSizes: [Int](repeating: 0, count: model.clusterCount))
    while let ((labels, distances), weights) = try next() {
      for label in labels { summary.clusterSizes[label] += 1 }
      for (row, distance) in distances.enumerated() {
        summary.inertia += (weights?[row] ?? 1) * Double(distance)
      }
      summary.rowCount += labels.count
      try body(labels, distances)
    }
    return summary
  }
}
