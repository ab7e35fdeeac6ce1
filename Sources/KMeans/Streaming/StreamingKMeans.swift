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

  /// Assigns every row to its nearest center, one batch of at most `batchRows` rows at a time
  /// (rows in memory: one batch), calling `body` with each batch's labels and distances;
  /// returns the totals (the inertia weighted by a source's weights).
  /// - Parameters:
  ///   - rows: a ``BatchSource`` or ``SparseBatchSource`` (rewound first), or a ``Matrix`` or
  ///     ``SparseMatrix``.
  ///   - model: the model whose centers the rows are assigned to.
  ///   - batchRows: the most rows read and assigned at a time.
  ///   - threadCount: worker threads (default: all cores); the results do not depend on it.
  ///   - body: called with each batch's labels and distances, in row order.
  /// - Throws: ``KMeansError`` for `batchRows` below 1, rows of another width than the
  ///   model's, bad rows (naming the row) or a failed read.
  public static func predict<Rows: KMeansTrainable>(
    _ rows: inout Rows, model: KMeansModel<Rows.Scalar>, batchRows: Int = 65_536,
    threadCount: Int? = nil, _ body: ([Int], [Rows.Scalar]) throws -> Void = { _, _ in }
  ) throws -> Summary {
    guard batchRows > 0 else {
      throw KMeansError.invalidConfiguration("batchRows=\(batchRows) must be at least 1")
    }
    let all = rows.trainingRows
    guard all.columnCount == model.dimension else {
      throw KMeansError.dimensionMismatch(
        expected: model.dimension, actual: all.columnCount, context: "the model")
    }
    var summary = Summary(
      rowCount: 0, inertia: 0, clusterSizes: [Int](repeating: 0, count: model.clusterCount))
    try all.forEachBatch(maxRows: batchRows) { batch, weights in
      let (labels, distances) = try model.predictWithDistances(batch, threadCount: threadCount)
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
