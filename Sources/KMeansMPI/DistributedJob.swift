import Foundation
import KMeans
import KMeansEstimator
import KMeansIO

/// One rank's part of a distributed training job: this rank's rows (dense or sparse, with
/// weights), resumed from a model directory's latest checkpoint if there is one (trainer and
/// stopping-rule state), trained by the engine's one loop with the reduction over the ranks;
/// rank 0 writes TensorFlow checkpoints.
package struct DistributedJob<Scalar: KMeansScalar> {
  /// This rank's rows and their place among all rows.
  package var shard: TrainingRun<Scalar>.Input
  package var rowOffset: Int
  package var dimension: Int
  package var configuration: KMeansConfiguration
  package var modelDirectory: String?
  package var checkpointEvery: Int = 10
  /// TensorBoard summaries every this many steps, written by rank 0 (nil: none).
  package var summaryEvery: Int? = 100
  package var keepCheckpoints: Int = 5

  package init(
    shard: TrainingRun<Scalar>.Input, rowOffset: Int, dimension: Int,
    configuration: KMeansConfiguration
  ) {
    self.shard = shard
    self.rowOffset = rowOffset
    self.dimension = dimension
    self.configuration = configuration
  }

  /// What a rank ends with.
  package struct Outcome {
    package var result: KMeansFitResult<Scalar>
    package var resumedFromStep: Int64?
    /// Every row's label (rank 0 only, when asked).
    package var allLabels: [Int]?
  }

  package func run(collectives: any Collectives, gatherLabels: Bool = false) throws -> Outcome {
    let k = configuration.effectiveClusterCount
    var resume: (trainer: KMeansTrainer<Scalar>, state: LoopState)? = nil
    var resumedFrom: Int64? = nil
    var stepsPerIteration = 0
    if let miniBatch = configuration.miniBatch { stepsPerIteration = miniBatch.stepsPerIteration }
    let mode: TrainingMode =
      stepsPerIteration > 0 ? .miniBatch(stepsPerIteration: stepsPerIteration) : .fullBatch
    // The writing rank holds the directory's training lock (another job or `kmeans train`
    // into the same directory is refused), which also checks that it is writable.
    var lock: DirectoryLock? = nil
    if collectives.rank == 0, let modelDirectory {
      try FileManager.default.createDirectory(
        atPath: modelDirectory, withIntermediateDirectories: true)
      lock = try DirectoryLock(directory: modelDirectory, purpose: "training")
    }
    defer { lock?.release() }
    if let modelDirectory,
      let prefix = try ModelDirectory.latestCheckpoint(directory: modelDirectory)
    {
      let variables = try ModelDirectory.load(prefix: prefix, as: Scalar.self)
      if variables.initialized {
        guard variables.clusters.rowCount == k, variables.clusters.columnCount == dimension
        else {
          throw KMeansError.dimensionMismatch(
            expected: dimension, actual: variables.clusters.columnCount,
            context: "the checkpoint \(prefix) (k=\(variables.clusters.rowCount))")
        }
        if var restored = try variables.restoring(configuration: configuration, mode: mode) {
          if restored.state.stopReason == .cancelled { restored.state.stopReason = nil }
          resume = (restored.trainer, restored.state)
          resumedFrom = variables.globalStep
        }
      }
    }
    let isWriter = collectives.rank == 0 && modelDirectory != nil
    if isWriter, let modelDirectory {
      try FileManager.default.createDirectory(
        atPath: modelDirectory, withIntermediateDirectories: true)
      if try ModelDirectory.metadata(directory: modelDirectory) == nil {
        try ModelDirectory.writeMetadata(
          EstimatorMetadata(
            dtype: Scalar.dtypeName, metric: configuration.metric, clusterCount: k,
            dimension: dimension, stepsPerIteration: stepsPerIteration, featureNames: nil),
          directory: modelDirectory)
      }
    }
    let every = Int64(checkpointEvery)
    let keep = keepCheckpoints
    let directory = modelDirectory
    var run = TrainingRun<Scalar>(configuration: configuration)
    run.collectives = collectives
    run.rowOffset = rowOffset
    run.resume = resume
    var lastSaved: Int64 = -1
    var summaries: TrainingSummaries? = nil
    defer { try? summaries?.close() }
    if isWriter, let directory {
      summaries = try summaryEvery.map {
        try TrainingSummaries(
          directory: directory, every: $0, startStep: resume?.trainer.globalStep ?? 0,
          lastStep: Int64(configuration.maxIterations), fullBatch: stepsPerIteration == 0)
      }
      run.afterStep = { trainer, state, record in
        try summaries?.record(record, step: trainer.globalStep, stopping: state.stopReason != nil)
        guard trainer.globalStep % every == 0 || state.stopReason != nil else { return }
        try ModelDirectory.save(
          CheckpointVariables(trainer: trainer, loopState: state), directory: directory,
          keep: keep)
        lastSaved = trainer.globalStep
      }
    } else if directory != nil {
      // Every rank keeps the fingerprint the writer saves.
      run.afterStep = { _, _, _ in }
    }
    let outcome = try run.run(shard)
    if isWriter, let directory, lastSaved != outcome.trainer.globalStep {
      try ModelDirectory.save(
        CheckpointVariables(trainer: outcome.trainer, loopState: outcome.state),
        directory: directory, keep: keep)
    }
    var allLabels: [Int]? = nil
    if gatherLabels {
      let parts = try collectives.gather(outcome.labels.map(Double.init))
      if collectives.rank == 0 { allLabels = parts.flatMap { $0 }.map { Int($0) } }
    }
    return Outcome(
      result: KMeansFitResult(
        model: outcome.model, labels: outcome.labels, distances: outcome.distances),
      resumedFromStep: resumedFrom, allLabels: allLabels)
  }
}
