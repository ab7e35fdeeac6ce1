import KMeans

/// Everything that steers a ``KMeansEstimator``, each field with a documented default.
public struct EstimatorConfiguration: Sendable, Equatable {
  /// Every training setting, as `KMeansModel/fit(_:weights:configuration:observer:)`
  /// takes them: full batch, or mini-batch with `clustering.miniBatch` (TensorFlow's estimator
  /// defaults to mini-batch; this one to full batch).
  public var clustering: KMeansConfiguration
  /// Write a checkpoint every this many steps; nil: by time only. Default: 100.
  public var checkpointEverySteps: Int? = 100
  /// Write a checkpoint when this many seconds have passed since the last; nil: by steps only.
  /// Default: 600 (TensorFlow's `save_checkpoints_secs`).
  public var checkpointEverySeconds: Double? = 600
  /// Checkpoints kept in the directory; older ones are deleted. Default: 5 (TensorFlow's
  /// `keep_checkpoint_max`).
  public var keepCheckpoints: Int = 5
  /// Write TensorBoard summaries (an events file in the model directory) at the first step of
  /// every training call, every this many global steps, and at the last step; nil: none.
  /// Default: 100 (TensorFlow's `save_summary_steps`).
  public var summaryEverySteps: Int? = 100
  /// The feature columns, by name (TensorFlow's `feature_columns`); nil: every column of the
  /// input, names sorted (TensorFlow's rule for dictionaries of features). Default: nil.
  public var featureColumns: [String]? = nil

  /// A configuration with every field at its default around `clustering`.
  public init(clustering: KMeansConfiguration) {
    self.clustering = clustering
  }

  /// Checks every field.
  /// - Throws: `KMeansError/invalidConfiguration(_:)` naming the field.
  public func validate() throws {
    try clustering.validate()
    func fail(_ message: String) throws -> Never { throw KMeansError.invalidConfiguration(message) }
    if let steps = checkpointEverySteps, steps <= 0 {
      try fail("checkpointEverySteps=\(steps) must be at least 1")
    }
    if let seconds = checkpointEverySeconds, !(seconds > 0) {
      try fail("checkpointEverySeconds=\(seconds) must be positive")
    }
    if let steps = summaryEverySteps, steps <= 0 {
      try fail("summaryEverySteps=\(steps) must be at least 1 (nil: no summaries)")
    }
    if keepCheckpoints <= 0 { try fail("keepCheckpoints=\(keepCheckpoints) must be at least 1") }
    if clustering.miniBatch == nil && clustering.restarts > 1 {
      try fail(
        "restarts=\(clustering.restarts) with a model directory: full-batch restarts are whole runs, and a directory holds one (train restarts in memory, or seed once)"
      )
    }
  }
}

/// Features for the estimator: a matrix whose columns are already the features, or named
/// columns from which ``EstimatorConfiguration/featureColumns`` (or every name, sorted)
/// choose.
public enum EstimatorInput<Scalar: KMeansScalar>: Sendable {
  /// Rows of features, in the model's column order.
  case matrix(Matrix<Scalar>)
  /// Sparse (CSR) rows of features, in the model's column order.
  case sparse(SparseMatrix<Scalar>)
  /// Named feature columns, each with one value per row (TensorFlow's dictionary of features).
  case columns([String: [Scalar]])

  /// The features as a matrix, and the names of its columns (nil for `.matrix`): the columns
  /// `names` (nil: every name, sorted).
  /// - Throws: `KMeansError` for an unknown name or columns of different lengths.
  public func features(selecting names: [String]?) throws -> (Matrix<Scalar>, [String]?) {
    switch self {
    case .matrix(let matrix):
      return (matrix, nil)
    case .sparse(let matrix):
      return (matrix.dense(), nil)
    case .columns(let columns):
      let chosen = names ?? columns.keys.sorted()
      guard !chosen.isEmpty else { throw KMeansError.emptyInput("no feature columns") }
      var rowCount: Int? = nil
      for name in chosen {
        guard let column = columns[name] else {
          throw KMeansError.invalidConfiguration(
            "no feature column named '\(name)' (the input has: \(columns.keys.sorted().joined(separator: ", ")))"
          )
        }
        if let rowCount, rowCount != column.count {
          throw KMeansError.shapeMismatch(
            "feature column '\(name)' has \(column.count) values, others have \(rowCount)")
        }
        rowCount = column.count
      }
      let rows = rowCount ?? 0
      var values = [Scalar](repeating: 0, count: rows * chosen.count)
      for (index, name) in chosen.enumerated() {
        let column = columns[name] ?? []
        for row in 0..<rows { values[row * chosen.count + index] = column[row] }
      }
      return (try Matrix(rowCount: rows, columnCount: chosen.count, values: values), chosen)
    }
  }
}
