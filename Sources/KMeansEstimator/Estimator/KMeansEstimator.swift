import Foundation
import KMeans
import KMeansIO

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

  /// What a call to ``train(input:steps:maxSteps:progress:)`` did.
  public struct TrainingReport: Sendable {
    /// The global step when training started (0 for a fresh directory).
    public var startStep: Int64
    /// The global step at the end.
    public var finalStep: Int64
    /// The loss of each step run (Σ scores before the update).
    public var losses: [Double]
    /// Whether the relative-tolerance rule stopped training.
    public var stoppedByTolerance: Bool
    /// The checkpoints written, by step.
    public var checkpointSteps: [Int64]
  }

  /// Opens (creating if needed) a model directory.
  /// - Throws: ``KMeans/KMeansError`` for an invalid configuration, a directory that cannot
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
    ModelDirectory.removeStaleTemporaries(directory: modelDirectory)
  }

  private var stepsPerIteration: Int {
    if case .miniBatch(let steps) = configuration.mode { return steps }
    return 0
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
  /// global step reaches `maxSteps`, or until the loss's relative change
  /// |L − L₋₁| / (1 + |L₋₁|) falls below `configuration.clustering.relativeTolerance`.
  ///
  /// A full-batch step sees every row; a mini-batch step sees the batch that the global step
  /// selects (batches of a seeded shuffle per epoch), so resuming repeats exactly what an
  /// uninterrupted run does. Checkpoints are written every `checkpointEverySteps` steps or
  /// `checkpointEverySeconds`, and at the end — also when `isCancelled` returns true after a
  /// step, which stops training there.
  @discardableResult
  public func train(
    input: EstimatorInput<Scalar>, steps: Int? = nil, maxSteps: Int? = nil,
    progress: ((Int64, Double) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> TrainingReport {
    guard steps != nil || maxSteps != nil else {
      throw KMeansError.invalidConfiguration("give steps or maxSteps")
    }
    let (data, names) = try input.features(selecting: configuration.featureColumns)
    var trainer = try KMeansTrainer<Scalar>(
      configuration: configuration.clustering, mode: configuration.mode)
    let metadata = EstimatorMetadata(
      dtype: Scalar.dtypeName, metric: configuration.clustering.metric,
      clusterCount: configuration.clustering.effectiveClusterCount, dimension: data.columnCount,
      stepsPerIteration: stepsPerIteration, featureNames: names ?? configuration.featureColumns)
    if let stored = try ModelDirectory.metadata(directory: modelDirectory) {
      try check(stored)
      guard stored.dimension == data.columnCount else {
        throw KMeansError.dimensionMismatch(
          expected: stored.dimension, actual: data.columnCount, context: "the model directory")
      }
    } else {
      try ModelDirectory.writeMetadata(metadata, directory: modelDirectory)
    }
    if let prefix = try ModelDirectory.latestCheckpoint(directory: modelDirectory) {
      let variables = try ModelDirectory.load(prefix: prefix, as: Scalar.self)
      if variables.initialized {
        guard variables.clusters.columnCount == data.columnCount else {
          throw KMeansError.dimensionMismatch(
            expected: variables.clusters.columnCount, actual: data.columnCount,
            context: "the checkpoint \(prefix)")
        }
        try trainer.restore(
          clusters: variables.clusters, counts: variables.counts,
          clustersUpdated: variables.clustersUpdated, updateInSteps: variables.updateInSteps,
          globalStep: variables.globalStep)
      }
    }
    let start = trainer.globalStep
    let target = maxSteps.map(Int64.init) ?? (start + Int64(steps ?? 0))
    var report = TrainingReport(
      startStep: start, finalStep: start, losses: [], stoppedByTolerance: false, checkpointSteps: []
    )
    guard trainer.globalStep < target else { return report }
    if !trainer.initialized { try trainer.initializeFully(with: data) }

    var lastCheckpoint = Date()
    var schedule = BatchSchedule(
      rowCount: data.rowCount, batchSize: configuration.batchSize,
      seed: configuration.clustering.seed)
    var previousLoss: Double? = nil
    while trainer.globalStep < target {
      let batch: Matrix<Scalar>
      if case .miniBatch = configuration.mode {
        batch = try schedule.batch(forStep: trainer.globalStep, of: data)
      } else {
        batch = data
      }
      let output = try trainer.step(on: batch)
      report.losses.append(output.loss)
      progress?(trainer.globalStep, output.loss)
      var stop = false
      if let tolerance = configuration.clustering.relativeTolerance, let previous = previousLoss,
        abs(output.loss - previous) / (1 + abs(previous)) < tolerance
      {
        stop = true
        report.stoppedByTolerance = true
      }
      previousLoss = output.loss
      // A cancelled run checkpoints the step it finished, then stops.
      if isCancelled?() == true { stop = true }
      let due =
        (configuration.checkpointEverySteps.map { trainer.globalStep % Int64($0) == 0 } ?? false)
        || (configuration.checkpointEverySeconds.map {
          Date().timeIntervalSince(lastCheckpoint) >= $0
        } ?? false)
      if due || stop || trainer.globalStep == target {
        try save(trainer)
        report.checkpointSteps.append(trainer.globalStep)
        lastCheckpoint = Date()
      }
      if stop { break }
    }
    report.finalStep = trainer.globalStep
    return report
  }

  private func save(_ trainer: KMeansTrainer<Scalar>) throws {
    let miniBatch = stepsPerIteration > 0
    let variables = CheckpointVariables(
      clusters: trainer.clusters, initialized: trainer.initialized,
      globalStep: trainer.globalStep, counts: miniBatch ? trainer.counts : nil,
      clustersUpdated: stepsPerIteration > 1 ? trainer.clustersUpdated : nil,
      updateInSteps: stepsPerIteration > 1 ? trainer.updateInSteps : nil)
    try ModelDirectory.save(
      variables, directory: modelDirectory, keep: configuration.keepCheckpoints)
  }

  // MARK: Inference

  /// The model of the latest checkpoint.
  /// - Throws: ``KMeans/KMeansError`` when the directory has no initialized checkpoint.
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

  /// The features of `input` in the model's column order.
  private func features(_ input: EstimatorInput<Scalar>) throws -> Matrix<Scalar> {
    let stored = try ModelDirectory.metadata(directory: modelDirectory)?.featureNames
    return try input.features(selecting: configuration.featureColumns ?? stored).0
  }

  /// Σ distance from each row to its nearest center (TensorFlow's `score`; scikit-learn's is
  /// its negative).
  public func score(input: EstimatorInput<Scalar>) throws -> Double {
    try model().score(features(input), threadCount: configuration.clustering.threadCount)
  }

  /// TensorFlow's `evaluate`: the score (Σ distances) and the global step.
  public func evaluate(input: EstimatorInput<Scalar>) throws -> (score: Double, globalStep: Int64) {
    let model = try model()
    return (
      try model.score(features(input), threadCount: configuration.clustering.threadCount),
      Int64(model.iterationCount)
    )
  }

  /// The nearest center of each row, and all distances (TensorFlow's `predict`:
  /// `cluster_index` and `all_distances`, squared Euclidean or 1 − cos).
  public func predict(input: EstimatorInput<Scalar>) throws -> (
    clusterIndices: [Int], allDistances: Matrix<Scalar>
  ) {
    let model = try model()
    let data = try features(input)
    let distances = try model.transform(data, threadCount: configuration.clustering.threadCount)
    let labels = try model.predict(data, threadCount: configuration.clustering.threadCount)
    return (labels, distances)
  }

  /// The nearest center of each row (TensorFlow's `predict_cluster_index`).
  public func predictClusterIndex(input: EstimatorInput<Scalar>) throws -> [Int] {
    try model().predict(features(input), threadCount: configuration.clustering.threadCount)
  }

  /// Distances to every center, as TensorFlow's estimator `transform` returns them: the
  /// Euclidean distance (the square root of the squared distance) for squared Euclidean,
  /// 1 − cos for cosine.
  public func transform(input: EstimatorInput<Scalar>) throws -> Matrix<Scalar> {
    let model = try model()
    var distances = try model.transform(
      features(input), threadCount: configuration.clustering.threadCount)
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

/// Which rows a mini-batch step sees: epoch e = step / batches per epoch takes a seeded
/// shuffle of the rows (the same for a given seed and epoch), and the step its slice. A pure
/// function of the global step, so a resumed run sees the batches an uninterrupted one does.
struct BatchSchedule {
  let rowCount: Int
  let batchSize: Int
  let seed: UInt64
  private var epoch = -1
  private var order: [Int] = []

  init(rowCount: Int, batchSize: Int, seed: UInt64) {
    self.rowCount = rowCount
    self.batchSize = min(batchSize, rowCount)
    self.seed = seed
  }

  var batchesPerEpoch: Int { (rowCount + batchSize - 1) / batchSize }

  mutating func batch<Scalar: KMeansScalar>(forStep step: Int64, of data: Matrix<Scalar>) throws
    -> Matrix<Scalar>
  {
    let stepEpoch = Int(step) / batchesPerEpoch
    if stepEpoch != epoch {
      epoch = stepEpoch
      var random = RandomSource(seed: seed, stream: 1_000_000 + stepEpoch)
      order = Array(0..<rowCount)
      for index in stride(from: rowCount - 1, to: 0, by: -1) {
        order.swapAt(index, random.nextIndex(below: index + 1))
      }
    }
    let start = (Int(step) % batchesPerEpoch) * batchSize
    let rows = order[start..<min(rowCount, start + batchSize)]
    var values: [Scalar] = []
    values.reserveCapacity(rows.count * data.columnCount)
    for row in rows { values += data.row(row) }
    return try Matrix(rowCount: rows.count, columnCount: data.columnCount, values: values)
  }
}
