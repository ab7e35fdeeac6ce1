import Foundation
import KMeans
import KMeansIO

/// Training into the model directory: one run behind every driver.
extension KMeansEstimator {
  /// Trains from the latest checkpoint (or from scratch) for `steps` more steps, or until the
  /// global step reaches `maxSteps`, or until a stopping rule of the configuration holds.
  ///
  /// Training is the engine's one loop, exactly as
  /// `KMeansModel/fit(_:weights:configuration:observer:)` runs it (the same seeding, steps and
  /// rules; a full-batch step is one Lloyd iteration, a mini-batch step one batch of a seeded
  /// shuffle per epoch), so an uninterrupted run ends where `fit` ends, and every checkpoint
  /// holds what the rules remember: a run resumed from any checkpoint ends exactly where an
  /// uninterrupted one does. Checkpoints are written every `checkpointEverySteps` steps or
  /// `checkpointEverySeconds`, and at the end — also when the observer cancels after a step,
  /// which stops training there.
  ///
  /// Training holds an advisory lock on the directory (`.kmeans-train.lock`): a second
  /// process (or estimator) that trains into it meanwhile is refused at once, and a read-only
  /// directory is refused before any work. A checkpoint that cannot be written (a full disk)
  /// ends training with an error; the checkpoints before it stay the latest and load. To go
  /// on from an earlier checkpoint (the latest is damaged), call ``rollBack(to:)`` first.
  /// - Parameters:
  ///   - data: a `Matrix` or `SparseMatrix` whose columns are the features in the model's
  ///     order, or a `BatchSource` / `SparseBatchSource` read a piece at a time (full batch:
  ///     one pass per step; mini-batch: consecutive batches in file order).
  ///   - weights: one sample weight per row, or nil (a source carries its own).
  ///   - steps: steps to run now; or
  ///   - maxSteps: the global step to train to.
  ///   - observer: progress after every step (its `iteration` is the global step) and
  ///     cancellation (checkpoints, then stops).
  /// - Throws: `KMeansError` for bad data, a directory that is locked or not
  ///   writable, a damaged checkpoint (naming the file and byte offset), or a failed write.
  @discardableResult
  public func train<Data: KMeansTrainable>(
    _ data: Data, weights: [Double]? = nil, steps: Int? = nil, maxSteps: Int? = nil,
    observer: TrainingObserver = TrainingObserver()
  ) throws -> TrainingReport where Data.Scalar == Scalar {
    let rows = data.trainingRows
    try rows.refuseWeightsBesideStream(weights)
    let sparse = rows.isSparse
    return try run(
      .init(rows, weights: weights), dimension: rows.columnCount,
      featureNames: sparse ? nil : configuration.featureColumns, steps: steps, maxSteps: maxSteps,
      observer: observer
    ).report
  }

  /// ``train(_:weights:steps:maxSteps:observer:)`` on an ``EstimatorInput``: also named
  /// feature columns (TensorFlow's dictionary of features), chosen by
  /// ``EstimatorConfiguration/featureColumns`` or every name, sorted.
  @discardableResult
  public func train(
    input: EstimatorInput<Scalar>, weights: [Double]? = nil, steps: Int? = nil,
    maxSteps: Int? = nil, observer: TrainingObserver = TrainingObserver()
  ) throws -> TrainingReport {
    if case .sparse(let matrix) = input {
      return try train(
        matrix, weights: weights, steps: steps, maxSteps: maxSteps, observer: observer)
    }
    let (data, names) = try input.features(selecting: configuration.featureColumns)
    return try run(
      .dense(data, weights: weights), dimension: data.columnCount,
      featureNames: names ?? configuration.featureColumns, steps: steps, maxSteps: maxSteps,
      observer: observer
    ).report
  }

  /// One process's share of a training job that several processes run together (MPI ranks):
  /// the reduction over them and where this process's rows start among all rows. Every
  /// process reads the directory (its metadata and latest checkpoint, so all resume from the
  /// same step and all refuse what one refuses); rank 0 alone takes the lock and writes.
  package struct JobShare {
    /// The reduction over the job's processes.
    package var collectives: any Collectives
    /// The index of this process's first row among all rows.
    package var rowOffset: Int

    package init(collectives: any Collectives, rowOffset: Int) {
      self.collectives = collectives
      self.rowOffset = rowOffset
    }
  }

  /// What ``run(_:dimension:featureNames:steps:maxSteps:observer:share:)`` did:
  /// the report, and the engine's outcome when steps ran (nil when the directory was already
  /// at the target step or stopped by a rule).
  package struct TrainingOutcome {
    package var report: TrainingReport
    package var run: TrainingRun<Scalar>.Outcome?
  }

  /// The one model-directory training run behind every driver — this type's `train` methods,
  /// `kmeans train --model-dir`, `kmeans-mpi train --model-dir` and the Python package: the
  /// directory's metadata checked (dtype, metric, k, dimension, mini-batch steps), the latest
  /// checkpoint resumed, the steps run, checkpoints and summaries written.
  package func run(
    _ input: TrainingRun<Scalar>.Input, dimension d: Int, featureNames: [String]?, steps: Int?,
    maxSteps: Int?, observer: TrainingObserver, share: JobShare? = nil
  ) throws -> TrainingOutcome {
    guard steps != nil || maxSteps != nil else {
      throw KMeansError.invalidConfiguration("give steps or maxSteps")
    }
    let writes = (share?.collectives.rank ?? 0) == 0
    let collectives = share?.collectives ?? SingleProcessCollectives()
    // One trainer per directory, and a writable one, checked before any work; every process
    // learns whether any refused, so none waits for a process that stopped.
    var lock: DirectoryLock? = nil
    var resume: (trainer: KMeansTrainer<Scalar>, state: LoopState)? = nil
    var failure: KMeansError? = nil
    do {
      if writes { lock = try DirectoryLock(directory: modelDirectory, purpose: "training") }
      resume = try prepare(dimension: d, featureNames: featureNames, writes: writes)
    } catch let error as KMeansError {
      failure = error
    }
    defer { lock?.release() }
    try collectives.agreeOnFailure(failure)

    let start = resume?.trainer.globalStep ?? 0
    let target = maxSteps.map(Int64.init) ?? (start + Int64(steps ?? 0))
    var report = TrainingReport(
      startStep: start, finalStep: start, losses: [], stoppedByTolerance: false,
      stopReason: resume?.state.stopReason, checkpointSteps: [])
    report.stoppedByTolerance = report.stopReason.map { $0 != .cancelled } ?? false
    guard start < target, resume?.state.stopReason == nil else {
      return TrainingOutcome(report: report, run: nil)
    }

    var run = TrainingRun<Scalar>(configuration: configuration.clustering)
    run.collectives = collectives
    run.rowOffset = share?.rowOffset ?? 0
    run.isCancelled = observer.isCancelled
    run.resume = resume
    run.stepLimit = target
    var summaries = try writes ? summaryWriter(startStep: start, lastStep: target) : nil
    report.summaryFile = summaries?.path
    defer { try? summaries?.close() }
    var lastCheckpoint = Date()
    run.afterStep = { trainer, state, record in
      report.losses.append(record.loss)
      report.statistics.append(record)
      observer.progress?(record)
      guard writes else { return }
      try summaries?.record(record, step: trainer.globalStep, stopping: state.stopReason != nil)
      if self.checkpointIsDue(trainer.globalStep, since: lastCheckpoint)
        || state.stopReason != nil || trainer.globalStep >= target
      {
        try self.save(trainer, state: state)
        report.checkpointSteps.append(trainer.globalStep)
        lastCheckpoint = Date()
      }
    }
    let outcome = try run.run(input)
    // The loop can end before a step (max iterations reached): keep the last state.
    if writes, report.checkpointSteps.last != outcome.trainer.globalStep,
      outcome.trainer.globalStep > start
    {
      try save(outcome.trainer, state: outcome.state)
      report.checkpointSteps.append(outcome.trainer.globalStep)
    }
    try summaries?.close()
    report.finalStep = outcome.trainer.globalStep
    report.stopReason = outcome.state.stopReason
    report.stoppedByTolerance = outcome.state.stopReason.map { $0 != .cancelled } ?? false
    return TrainingOutcome(report: report, run: outcome)
  }

  /// Checks the directory against this run (writing its metadata when it has none and this
  /// process writes), and reads the trainer and loop state of the latest checkpoint.
  private func prepare(dimension d: Int, featureNames: [String]?, writes: Bool) throws
    -> (trainer: KMeansTrainer<Scalar>, state: LoopState)?
  {
    if writes { ModelDirectory.removeStaleTemporaries(directory: modelDirectory) }
    if let stored = try ModelDirectory.metadata(directory: modelDirectory) {
      try check(stored)
      guard stored.dimension == d else {
        throw KMeansError.dimensionMismatch(
          expected: stored.dimension, actual: d, context: "the model directory")
      }
    } else if writes {
      try ModelDirectory.writeMetadata(
        EstimatorMetadata(
          dtype: Scalar.dtypeName, metric: configuration.clustering.metric,
          clusterCount: configuration.clustering.effectiveClusterCount, dimension: d,
          stepsPerIteration: stepsPerIteration, featureNames: featureNames),
        directory: modelDirectory)
    }
    guard let prefix = try ModelDirectory.latestCheckpoint(directory: modelDirectory) else {
      return nil
    }
    let variables = try ModelDirectory.load(prefix: prefix, as: Scalar.self)
    guard variables.initialized else { return nil }
    guard variables.clusters.columnCount == d else {
      throw KMeansError.dimensionMismatch(
        expected: variables.clusters.columnCount, actual: d, context: "the checkpoint \(prefix)")
    }
    guard
      let restored = try variables.restoring(configuration: configuration.clustering, mode: mode)
    else { return nil }
    var state = restored.state
    // A cancelled run goes on; one a rule stopped stays stopped.
    if state.stopReason == .cancelled { state.stopReason = nil }
    return (restored.trainer, state)
  }

  /// The TensorBoard writer of a training call, when the configuration asks for summaries.
  private func summaryWriter(startStep: Int64, lastStep: Int64) throws -> TrainingSummaries? {
    try configuration.summaryEverySteps.map {
      try TrainingSummaries(
        directory: modelDirectory, every: $0, startStep: startStep, lastStep: lastStep,
        fullBatch: stepsPerIteration == 0)
    }
  }

  /// Whether the configuration's step or time rule asks for a checkpoint now.
  private func checkpointIsDue(_ step: Int64, since last: Date) -> Bool {
    let byStep = configuration.checkpointEverySteps.map { step % Int64($0) == 0 } ?? false
    let byTime =
      configuration.checkpointEverySeconds.map { Date().timeIntervalSince(last) >= $0 } ?? false
    return byStep || byTime
  }

  /// Makes `checkpoint` (a name such as `model.ckpt-3`, a step number, or a prefix path) the
  /// latest again, so that the next ``train(_:weights:steps:maxSteps:observer:)``
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
}
