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
public final class KMeansEstimator<Scalar: KMeansScalar>: @unchecked Sendable {
  /// The directory holding checkpoints and `kmeans-estimator.json`.
  public let modelDirectory: String
  /// The settings.
  public let configuration: EstimatorConfiguration

  /// What a call to ``train(input:weights:steps:maxSteps:progress:isCancelled:)`` did.
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

  private var stepsPerIteration: Int { configuration.clustering.miniBatch?.stepsPerIteration ?? 0 }

  private var mode: TrainingMode {
    configuration.clustering.miniBatch.map { .miniBatch(stepsPerIteration: $0.stepsPerIteration) }
      ?? .fullBatch
  }

  private func check(_ metadata: EstimatorMetadata) throws {
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

  // MARK: Training

  /// Trains from the latest checkpoint (or from scratch) for `steps` more steps, or until the
  /// global step reaches `maxSteps`, or until a stopping rule of the configuration holds.
  ///
  /// Training is the engine's one loop, exactly as `KMeansModel/fit(_:weights:configuration:progress:isCancelled:)`
  /// runs it (the same seeding, steps and rules; a full-batch step is one Lloyd iteration, a
  /// mini-batch step one batch of a seeded shuffle per epoch), so an uninterrupted run ends
  /// where `fit` ends, and every checkpoint holds what the rules remember: a run resumed from
  /// any checkpoint ends exactly where an uninterrupted one does. Checkpoints are written
  /// every `checkpointEverySteps` steps or `checkpointEverySeconds`, and at the end — also when
  /// `isCancelled` returns true after a step, which stops training there.
  ///
  /// Training holds an advisory lock on the directory (`.kmeans-train.lock`): a second
  /// process (or estimator) that trains into it meanwhile is refused at once, and a read-only
  /// directory is refused before any work. A checkpoint that cannot be written (a full disk)
  /// ends training with an error; the checkpoints before it stay the latest and load. To go
  /// on from an earlier checkpoint (the latest is damaged), call ``rollBack(to:)`` first.
  /// - Parameters:
  ///   - input: the rows (dense, sparse or named columns).
  ///   - weights: one sample weight per row, or nil.
  ///   - steps: steps to run now; or
  ///   - maxSteps: the global step to train to.
  ///   - progress: called after every step with the global step and the loss.
  ///   - isCancelled: checked after every step; true checkpoints and stops.
  /// - Throws: `KMeansError` for bad data, a directory that is locked or not
  ///   writable, a damaged checkpoint (naming the file and byte offset), or a failed write.
  @discardableResult
  public func train(
    input: EstimatorInput<Scalar>, weights: [Double]? = nil, steps: Int? = nil,
    maxSteps: Int? = nil, progress: ((Int64, Double) -> Void)? = nil,
    isCancelled: (() -> Bool)? = nil
  ) throws -> TrainingReport {
    if case .sparse(let matrix) = input {
      return try train(
        .sparse(matrix, weights: weights), dimension: matrix.columnCount, featureNames: nil,
        steps: steps, maxSteps: maxSteps, progress: progress, isCancelled: isCancelled)
    }
    let (data, names) = try input.features(selecting: configuration.featureColumns)
    return try train(
      .dense(data, weights: weights), dimension: data.columnCount,
      featureNames: names ?? configuration.featureColumns, steps: steps, maxSteps: maxSteps,
      progress: progress, isCancelled: isCancelled)
  }

  /// ``train(input:weights:steps:maxSteps:progress:isCancelled:)`` over a stream read a piece
  /// at a time (memory bounded as in `StreamingKMeans`): full batch is one pass per
  /// step; mini-batch steps take consecutive batches in file order.
  @discardableResult
  public func train<Source: BatchSource>(
    stream source: Source, steps: Int? = nil, maxSteps: Int? = nil,
    progress: ((Int64, Double) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> TrainingReport where Source.Scalar == Scalar {
    try train(
      .stream(source), dimension: source.columnCount, featureNames: configuration.featureColumns,
      steps: steps, maxSteps: maxSteps, progress: progress, isCancelled: isCancelled)
  }

  /// ``train(stream:steps:maxSteps:progress:isCancelled:)`` for a sparse stream.
  @discardableResult
  public func train<Source: SparseBatchSource>(
    sparseStream source: Source, steps: Int? = nil, maxSteps: Int? = nil,
    progress: ((Int64, Double) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> TrainingReport where Source.Scalar == Scalar {
    try train(
      .sparseStream(source), dimension: source.columnCount, featureNames: nil, steps: steps,
      maxSteps: maxSteps, progress: progress, isCancelled: isCancelled)
  }

  private func train(
    _ input: TrainingRun<Scalar>.Input, dimension d: Int, featureNames: [String]?, steps: Int?,
    maxSteps: Int?, progress: ((Int64, Double) -> Void)?, isCancelled: (() -> Bool)?
  ) throws -> TrainingReport {
    guard steps != nil || maxSteps != nil else {
      throw KMeansError.invalidConfiguration("give steps or maxSteps")
    }
    // One trainer per directory, and a writable one, checked before any work.
    let lock = try DirectoryLock(directory: modelDirectory, purpose: "training")
    defer { lock.release() }
    ModelDirectory.removeStaleTemporaries(directory: modelDirectory)
    let metadata = EstimatorMetadata(
      dtype: Scalar.dtypeName, metric: configuration.clustering.metric,
      clusterCount: configuration.clustering.effectiveClusterCount, dimension: d,
      stepsPerIteration: stepsPerIteration, featureNames: featureNames)
    if let stored = try ModelDirectory.metadata(directory: modelDirectory) {
      try check(stored)
      guard stored.dimension == d else {
        throw KMeansError.dimensionMismatch(
          expected: stored.dimension, actual: d, context: "the model directory")
      }
    } else {
      try ModelDirectory.writeMetadata(metadata, directory: modelDirectory)
    }
    var resume: (trainer: KMeansTrainer<Scalar>, state: LoopState)? = nil
    if let prefix = try ModelDirectory.latestCheckpoint(directory: modelDirectory) {
      let variables = try ModelDirectory.load(prefix: prefix, as: Scalar.self)
      if variables.initialized {
        guard variables.clusters.columnCount == d else {
          throw KMeansError.dimensionMismatch(
            expected: variables.clusters.columnCount, actual: d,
            context: "the checkpoint \(prefix)")
        }
        if let restored = try variables.restoring(
          configuration: configuration.clustering, mode: mode)
        {
          var state = restored.state
          // A cancelled run goes on; one a rule stopped stays stopped.
          if state.stopReason == .cancelled { state.stopReason = nil }
          resume = (restored.trainer, state)
        }
      }
    }
    let start = resume?.trainer.globalStep ?? 0
    let target = maxSteps.map(Int64.init) ?? (start + Int64(steps ?? 0))
    var report = TrainingReport(
      startStep: start, finalStep: start, losses: [], stoppedByTolerance: false,
      stopReason: resume?.state.stopReason, checkpointSteps: [])
    report.stoppedByTolerance = report.stopReason.map { $0 != .cancelled } ?? false
    guard start < target, resume?.state.stopReason == nil else { return report }

    var lastCheckpoint = Date()
    var run = TrainingRun<Scalar>(configuration: configuration.clustering)
    run.isCancelled = isCancelled
    run.resume = resume
    run.stepLimit = target
    let every = configuration.checkpointEverySteps
    let seconds = configuration.checkpointEverySeconds
    var summaries = try configuration.summaryEverySteps.map {
      try TrainingSummaries(
        directory: modelDirectory, every: $0, startStep: start, lastStep: target,
        fullBatch: stepsPerIteration == 0)
    }
    report.summaryFile = summaries?.path
    defer { try? summaries?.close() }
    run.afterStep = { trainer, state, record in
      report.losses.append(record.loss)
      report.statistics.append(record)
      progress?(trainer.globalStep, record.loss)
      try summaries?.record(record, step: trainer.globalStep, stopping: state.stopReason != nil)
      let due =
        (every.map { trainer.globalStep % Int64($0) == 0 } ?? false)
        || (seconds.map { Date().timeIntervalSince(lastCheckpoint) >= $0 } ?? false)
      if due || state.stopReason != nil || trainer.globalStep >= target {
        try self.save(trainer, state: state)
        report.checkpointSteps.append(trainer.globalStep)
        lastCheckpoint = Date()
      }
    }
    let result = try run.run(input)
    // The loop can end before a step (max iterations reached): keep the last state.
    if report.checkpointSteps.last != result.trainer.globalStep, result.trainer.globalStep > start {
      try save(result.trainer, state: result.state)
      report.checkpointSteps.append(result.trainer.globalStep)
    }
    try summaries?.close()
    report.finalStep = result.trainer.globalStep
    report.stopReason = result.state.stopReason
    report.stoppedByTolerance = result.state.stopReason.map { $0 != .cancelled } ?? false
    return report
  }

  /// Makes `checkpoint` (a name such as `model.ckpt-3`, a step number, or a prefix path) the
  /// latest again, so that the next ``train(input:weights:steps:maxSteps:progress:isCancelled:)``
  /// resumes from it: the way past a damaged latest checkpoint. The checkpoint is read whole
  /// (every CRC checked) first; the checkpoints after it are forgotten and their files deleted,
  /// as training will write those steps again.
  /// - Throws: `KMeansError` when the checkpoint is not in the directory or does not
  ///   read, or the directory is locked by a training process.
  public func rollBack(to checkpoint: String) throws {
    try ModelDirectory.rollBack(directory: modelDirectory, to: checkpoint, as: Scalar.self)
  }

  private func save(_ trainer: KMeansTrainer<Scalar>, state: LoopState) throws {
    try ModelDirectory.save(
      CheckpointVariables(trainer: trainer, loopState: state), directory: modelDirectory,
      keep: configuration.keepCheckpoints)
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

  /// The features of `input` in the model's column order (nil for sparse input).
  private func features(_ input: EstimatorInput<Scalar>) throws -> Matrix<Scalar>? {
    if case .sparse = input { return nil }
    let stored = try ModelDirectory.metadata(directory: modelDirectory)?.featureNames
    return try input.features(selecting: configuration.featureColumns ?? stored).0
  }

  /// The nearest center of each row and the distance to it.
  private func assignment(_ input: EstimatorInput<Scalar>, model: KMeansModel<Scalar>) throws
    -> (labels: [Int], distances: [Scalar])
  {
    let threads = configuration.clustering.threadCount
    if case .sparse(let matrix) = input {
      return try model.predictWithDistances(matrix, threadCount: threads)
    }
    return try model.predictWithDistances(
      features(input) ?? Matrix(zerosWithRowCount: 0, columnCount: 0), threadCount: threads)
  }

  /// Σ wᵢ·distance from each row to its nearest center (TensorFlow's `score`; scikit-learn's
  /// is its negative).
  public func score(input: EstimatorInput<Scalar>, weights: [Double]? = nil) throws -> Double {
    try score(input: input, weights: weights, model: model())
  }

  private func score(
    input: EstimatorInput<Scalar>, weights: [Double]?, model: KMeansModel<Scalar>
  ) throws -> Double {
    let threads = configuration.clustering.threadCount
    if case .sparse(let matrix) = input {
      return try model.score(matrix, weights: weights, threadCount: threads)
    }
    return try model.score(
      features(input) ?? Matrix(zerosWithRowCount: 0, columnCount: 0), weights: weights,
      threadCount: threads)
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
    return (try assignment(input, model: model).labels, try allDistances(input, model: model))
  }

  private func allDistances(_ input: EstimatorInput<Scalar>, model: KMeansModel<Scalar>) throws
    -> Matrix<Scalar>
  {
    let threads = configuration.clustering.threadCount
    if case .sparse(let matrix) = input { return try model.transform(matrix, threadCount: threads) }
    return try model.transform(
      features(input) ?? Matrix(zerosWithRowCount: 0, columnCount: 0), threadCount: threads)
  }

  /// The nearest center of each row (TensorFlow's `predict_cluster_index`).
  public func predictClusterIndex(input: EstimatorInput<Scalar>) throws -> [Int] {
    try assignment(input, model: model()).labels
  }

  /// Distances to every center, as TensorFlow's estimator `transform` returns them: the
  /// Euclidean distance (the square root of the squared distance) for squared Euclidean,
  /// 1 − cos for cosine.
  public func transform(input: EstimatorInput<Scalar>) throws -> Matrix<Scalar> {
    let model = try model()
    var distances = try allDistances(input, model: model)
    if model.metric == .squaredEuclidean {
      for row in 0..<distances.rowCount {
        for column in 0..<distances.columnCount {
          distances[row, column] = distances[row, column].squareRoot()
        }
      }
    }
    return distances
  }
}
