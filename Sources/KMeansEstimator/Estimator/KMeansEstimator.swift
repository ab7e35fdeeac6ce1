import Foundation
import KMeans
import KMeansIO
import KMeansInterop

/// TensorFlow's k-means estimator in Swift: training that checkpoints to a model directory and
/// resumes from it, and evaluation, prediction and transformation from the latest checkpoint.
/// TensorFlow reads the directory (`tf.train.load_variable(dir, "clusters")`, or its own
/// `KMeans` estimator), and this type reads directories TensorFlow wrote.
///
/// ```swift
/// let estimator = try KMeansEstimator<Float>(
///   modelDirectory: "/tmp/model", configuration: EstimatorConfiguration(clustering: .init(clusterCount: 10)))
/// try estimator.train(input: .matrix(points), steps: 20)     // resumes if checkpoints exist
/// let labels = try estimator.predictClusterIndex(input: .matrix(points))
/// ```
///
/// Training is deterministic in the global step: after a crash, resuming from the last
/// checkpoint reaches the same centers as an uninterrupted run with the same seed.
public final class KMeansEstimator<Scalar: KMeansScalar>: Sendable {
  /// The directory holding checkpoints and `kmeans-estimator.json`.
  public let modelDirectory: String
  /// The settings.
  public let configuration: EstimatorConfiguration

  /// What a call to ``train(_:weights:steps:maxSteps:observer:)`` did.
  public struct TrainingReport: Sendable {
    /// The global step when training started (0 for a fresh directory).
    public var startStep: Int64
    /// The global step at the end.
    public var finalStep: Int64
    /// The loss of each step run (Σ scores before the update).
    public var losses: [Double]
    /// Whether a stopping rule (not the step budget) ended training, now or in an earlier
    /// call: the relative tolerance, the center-shift tolerance, unchanged labels, or (mini-batch)
    /// no improvement.
    public var stoppedByTolerance: Bool
    /// The rule that ended training, when one did (also `StopReason/cancelled`).
    public var stopReason: StopReason?
    /// The checkpoints written, by step.
    public var checkpointSteps: [Int64]
    /// One record per step run now.
    public var statistics: [IterationStatistics] = []
    /// The TensorBoard events file this call wrote (nil without summaries).
    public var summaryFile: String? = nil
  }

  /// Opens (creating if needed) a model directory.
  /// - Throws: `KMeansError` for an invalid configuration, a directory that cannot
  ///   be created, or one whose metadata disagrees with the configuration or `Scalar`.
  public init(modelDirectory: String, configuration: EstimatorConfiguration) throws {
    try configuration.validate()
    self.modelDirectory = modelDirectory
    self.configuration = configuration
    do {
      try FileManager.default.createDirectory(
        atPath: modelDirectory, withIntermediateDirectories: true)
    } catch {
      throw KMeansError.fileUnreadable(path: modelDirectory, reason: "cannot create the directory")
    }
    if let metadata = try ModelDirectory.metadata(directory: modelDirectory) {
      try check(metadata)
    }
  }

  var stepsPerIteration: Int { configuration.clustering.miniBatch?.stepsPerIteration ?? 0 }

  var mode: TrainingMode {
    configuration.clustering.miniBatch.map { .miniBatch(stepsPerIteration: $0.stepsPerIteration) }
      ?? .fullBatch
  }

  func check(_ metadata: EstimatorMetadata) throws {
    let path = (modelDirectory as NSString).appendingPathComponent(EstimatorMetadata.fileName)
    func mismatch(_ what: String, _ stored: String, _ asked: String) -> KMeansError {
      .invalidConfiguration("\(path) was trained with \(what) \(stored), not \(asked)")
    }
    if metadata.dtype != Scalar.dtypeName {
      throw mismatch("dtype", metadata.dtype, Scalar.dtypeName)
    }
    if metadata.metric != configuration.clustering.metric {
      throw mismatch("metric", metadata.metric.rawValue, configuration.clustering.metric.rawValue)
    }
    if metadata.clusterCount != configuration.clustering.effectiveClusterCount {
      throw mismatch(
        "k", "\(metadata.clusterCount)", "\(configuration.clustering.effectiveClusterCount)")
    }
    if metadata.stepsPerIteration != stepsPerIteration {
      throw mismatch(
        "steps per iteration (0: full batch)", "\(metadata.stepsPerIteration)",
        "\(stepsPerIteration)")
    }
  }

  // MARK: Inference

  /// The model of the latest checkpoint.
  /// - Throws: `KMeansError` when the directory has no initialized checkpoint.
  public func model() throws -> KMeansModel<Scalar> {
    guard let prefix = try ModelDirectory.latestCheckpoint(directory: modelDirectory) else {
      throw KMeansError.fileUnreadable(
        path: modelDirectory, reason: "no checkpoint in the model directory")
    }
    let variables = try ModelDirectory.load(prefix: prefix, as: Scalar.self)
    guard variables.initialized else {
      throw KMeansError.corruptFile(
        path: prefix + ".index", reason: "the checkpoint holds no centers yet")
    }
    return KMeansModel(
      centers: variables.clusters, metric: configuration.clustering.metric,
      iterationCount: Int(variables.globalStep))
  }

  /// The centers of the latest checkpoint (TensorFlow's `cluster_centers()`).
  public func clusterCenters() throws -> Matrix<Scalar> { try model().centers }

  /// The rows of `input`, named columns in the model's column order.
  private func rows(_ input: EstimatorInput<Scalar>) throws -> TrainingRows<Scalar> {
    if case .sparse(let matrix) = input { return .sparse(matrix) }
    let stored = try ModelDirectory.metadata(directory: modelDirectory)?.featureNames
    return .dense(try input.features(selecting: configuration.featureColumns ?? stored).0)
  }

  /// Σ wᵢ·distance from each row to its nearest center (TensorFlow's `score`; scikit-learn's
  /// is its negative).
  public func score(input: EstimatorInput<Scalar>, weights: [Double]? = nil) throws -> Double {
    try score(input: input, weights: weights, model: model())
  }

  private func score(
    input: EstimatorInput<Scalar>, weights: [Double]?, model: KMeansModel<Scalar>
  ) throws -> Double {
    try model.score(
      rows(input), weights: weights, threadCount: configuration.clustering.threadCount)
  }

  /// TensorFlow's `evaluate`: the score (Σ wᵢ·distances) and the global step. Like
  /// TensorFlow, it writes the score as TensorBoard summaries `score` and `loss` at the
  /// checkpoint's global step into `eval/` (or `eval_NAME/` for a named evaluation) of the
  /// model directory, beside the training curves; `metrics` are written with them.
  /// - Parameters:
  ///   - input: the rows to evaluate.
  ///   - weights: one sample weight per row, or nil.
  ///   - name: names the evaluation (`eval_NAME/`), e.g. one per data set.
  ///   - metrics: more scalars for the same event, e.g. the silhouette.
  ///   - writeSummary: false: write nothing.
  public func evaluate(
    input: EstimatorInput<Scalar>, weights: [Double]? = nil, name: String? = nil,
    metrics: [String: Double] = [:], writeSummary: Bool = true
  ) throws -> (score: Double, globalStep: Int64) {
    // One read of the latest checkpoint gives both the centers and the step.
    let model = try model()
    let score = try score(input: input, weights: weights, model: model)
    let step = Int64(model.iterationCount)
    if writeSummary {
      var values = metrics
      values["score"] = score
      values["loss"] = score
      try ModelDirectory.writeEvaluationSummary(
        values, directory: modelDirectory, name: name, globalStep: step)
    }
    return (score, step)
  }

  /// The nearest center of each row, and all distances (TensorFlow's `predict`:
  /// `cluster_index` and `all_distances`, squared Euclidean or 1 − cos).
  public func predict(input: EstimatorInput<Scalar>) throws -> (
    clusterIndices: [Int], allDistances: Matrix<Scalar>
  ) {
    let model = try model()
    // The rows are made (and the directory's feature names read) once for both answers.
    let rows = try rows(input)
    let threads = configuration.clustering.threadCount
    return (
      try model.predict(rows, threadCount: threads),
      try model.allDistances(rows, threadCount: threads)
    )
  }

  /// The nearest center of each row (TensorFlow's `predict_cluster_index`).
  public func predictClusterIndex(input: EstimatorInput<Scalar>) throws -> [Int] {
    try model().predict(rows(input), threadCount: configuration.clustering.threadCount)
  }

  /// Distances to every center, as TensorFlow's estimator `transform` returns them: the
  /// Euclidean distance (the square root of the squared distance) for squared Euclidean,
  /// 1 − cos for cosine.
  public func transform(input: EstimatorInput<Scalar>) throws -> Matrix<Scalar> {
    try model().transform(rows(input), threadCount: configuration.clustering.threadCount)
  }

}
