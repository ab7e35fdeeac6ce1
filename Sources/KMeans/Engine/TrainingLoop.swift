import Foundation
import KMeansKernels

/// The one training loop every driver runs (in memory, dense or sparse, streamed, in a model
/// directory, over MPI ranks): seeding, restarts, steps of ``KMeansTrainer``, the stopping
/// rules, the iteration statistics, progress, cancellation and a hook after every step for
/// checkpoints. Drivers differ only in the rows they pass (``RowSource``) and the reduction
/// (``Collectives``).
struct TrainingLoop<Scalar: KMeansScalar> {
  var configuration: KMeansConfiguration
  var collectives: any Collectives = SingleProcessCollectives()
  /// The index of this worker's first row among all workers' rows.
  var rowOffset = 0
  /// Called after every step (from the calling thread).
  var progress: ((IterationStatistics) -> Void)? = nil
  /// Mini-batch: called after every step with its output (the batch's labels and scores).
  var stepProgress: ((Int, StepOutput<Scalar>) -> Void)? = nil
  /// Checked after every step; true on any worker stops every worker there.
  var isCancelled: (() -> Bool)? = nil
  /// Called after every step with the state a checkpoint saves.
  var afterStep: ((KMeansTrainer<Scalar>, LoopState, IterationStatistics) throws -> Void)? = nil
  /// Whether ``LoopState/labelFingerprint`` is kept (for checkpoints).
  var tracksLabelFingerprint = false

  init(configuration: KMeansConfiguration) {
    self.configuration = configuration
  }

  var threadCount: Int {
    configuration.threadCount ?? ProcessInfo.processInfo.activeProcessorCount
  }

  /// What a run ends with.
  struct Result {
    var model: KMeansModel<Scalar>
    /// This worker's labels and distances for the final centers.
    var labels: [Int32]
    var distances: [Scalar]
    var trainer: KMeansTrainer<Scalar>
    var state: LoopState
  }

  // MARK: Data scale

  /// The rows over all workers and the mean over features of the per-feature variance
  /// (scikit-learn's scale for `tolerance`), from one pass: each piece's ``ColumnMoments``,
  /// merged in piece order, then (over MPI) the workers' merged in rank order. Also checks
  /// that some row has a positive weight.
  func dataScale<Rows: RowSource>(_ rows: inout Rows, needsVariance: Bool) throws -> (
    rowCount: Int, variance: Double
  ) where Rows.Data.Scalar == Scalar {
    let d = rows.columnCount
    var totals = [0.0, 0.0]
    var moments = ColumnMoments(columnCount: needsVariance ? d : 0)
    try rows.forEachPiece { piece, _ in
      if needsVariance { moments.merge(piece.columnMoments()) }
      totals[0] += Double(piece.rowCount)
      totals[1] += piece.totalWeight
    }
    if collectives.size > 1 {
      try collectives.sum(&totals)
      if needsVariance {
        let parts = try collectives.gather(moments.packed)
        moments = ColumnMoments(columnCount: d)
        for part in parts {
          moments.merge(ColumnMoments(packed: part[...], columnCount: d))
        }
      }
    }
    let n = totals[0]
    guard n > 0 else { throw KMeansError.emptyInput("the data has no rows") }
    guard totals[1] > 0 else {
      throw KMeansError.invalidConfiguration(
        "the sample weights sum to \(totals[1]); at least one must be positive")
    }
    return (Int(n), needsVariance ? moments.meanVariance : 0)
  }

  /// A run's state to continue from (a checkpoint).
  struct Resume {
    var trainer: KMeansTrainer<Scalar>
    var state: LoopState
  }

  /// Trains on `rows`: full batch, or mini-batch when `configuration.miniBatch` is set; from
  /// seeding, or from `resume`; until a stopping rule holds, or (without a stop) until the
  /// global step reaches `stepLimit`. The two modes differ in their step
  /// (``FullBatchStep``, ``MiniBatchStep``) and in what a restart is; the loop around the
  /// steps (``runSteps(_:trainer:state:step:absoluteTolerance:stepLimit:)``) and the restart
  /// loop (``bestOfRestarts(_:)``) are the same.
  // Specialized for every kind of rows and scalar: what it calls (seeding, the steps, the
  // center updates) then runs as concrete code, not through generic witnesses.
  @_specialize(where Scalar == Float, Rows == MemoryRows<PreparedData<Float>>)
  @_specialize(where Scalar == Double, Rows == MemoryRows<PreparedData<Double>>)
  @_specialize(where Scalar == Float, Rows == MemoryRows<SparseData<Float>>)
  @_specialize(where Scalar == Double, Rows == MemoryRows<SparseData<Double>>)
  @_specialize(where Scalar == Float, Rows == StreamRows<PreparedData<Float>>)
  @_specialize(where Scalar == Double, Rows == StreamRows<PreparedData<Double>>)
  @_specialize(where Scalar == Float, Rows == StreamRows<SparseData<Float>>)
  @_specialize(where Scalar == Double, Rows == StreamRows<SparseData<Double>>)
  @_specialize(where Scalar == Float, Rows == CompactRows<Float>)
  @_specialize(where Scalar == Double, Rows == CompactRows<Double>)
  @_specialize(where Scalar == Float, Rows == ShardRows<PreparedData<Float>>)
  @_specialize(where Scalar == Double, Rows == ShardRows<PreparedData<Double>>)
  @_specialize(where Scalar == Float, Rows == ShardRows<SparseData<Float>>)
  @_specialize(where Scalar == Double, Rows == ShardRows<SparseData<Double>>)
  func train<Rows: RowSource>(
    _ rows: inout Rows, resume: Resume? = nil, stepLimit: Int64? = nil
  ) throws -> Result where Rows.Data.Scalar == Scalar {
    // In-memory `fit` samples the rows itself and runs the loop without the setting.
    if configuration.maxPointsPerCenter != nil {
      throw KMeansError.invalidConfiguration(
        "maxPointsPerCenter applies to KMeansModel.fit on data in memory (kmeans train without --model-dir), not to model directories, streams or MPI ranks"
      )
    }
    let scale = try dataScale(&rows, needsVariance: configuration.effectiveTolerance > 0)
    let absoluteTolerance = configuration.effectiveTolerance * scale.variance
    if let miniBatch = configuration.miniBatch {
      var step = try MiniBatchStep<Rows>(
        rows: rows, miniBatch: miniBatch, totalRows: scale.rowCount, loop: self)
      var trainer: KMeansTrainer<Scalar>
      var state = resume?.state ?? LoopState()
      if let resume {
        trainer = resume.trainer
      } else {
        // Mini-batch restarts are seedings, judged on the seeding sample; one run follows.
        trainer = try seedMiniBatch(&rows, miniBatch: miniBatch, totalRows: scale.rowCount)
      }
      return try runSteps(
        &rows, trainer: &trainer, state: &state, step: &step,
        absoluteTolerance: absoluteTolerance, stepLimit: stepLimit)
    }
    var step = try FullBatchStep<Rows>(rows: rows, loop: self)
    if let resume {
      var trainer = resume.trainer
      var state = resume.state
      return try runSteps(
        &rows, trainer: &trainer, state: &state, step: &step,
        absoluteTolerance: absoluteTolerance, stepLimit: stepLimit)
    }
    // Full-batch restarts are whole runs: each seeds, then steps; the lowest inertia wins.
    var restarts = configuration.restarts
    if case .centers = configuration.initialization { restarts = 1 }
    return try bestOfRestarts(restarts) { restart in
      var trainer = try KMeansTrainer<Scalar>(
        configuration: configuration, mode: .fullBatch, restart: restart)
      try seed(
        &trainer, rows: &rows, restart: restart, totalRows: scale.rowCount,
        sampleSize: configuration.seedingSample(
          rowCount: scale.rowCount, columnCount: rows.columnCount))
      var state = LoopState()
      step.reset()
      let run = try runSteps(
        &rows, trainer: &trainer, state: &state, step: &step,
        absoluteTolerance: absoluteTolerance, stepLimit: stepLimit)
      return (run, run.model.inertia, run.model.stopReason == .cancelled)
    }
  }

  /// The restart loop of both modes: runs `candidate` for restarts 0, 1, …, keeps the one of
  /// lowest score (the first among equals, the same choice on every worker), and stops early
  /// when a candidate says so (a cancelled run).
  func bestOfRestarts<Candidate>(
    _ count: Int, _ candidate: (Int) throws -> (Candidate, score: Double, stop: Bool)
  ) throws -> Candidate {
    var best: (candidate: Candidate, score: Double)? = nil
    for restart in 0..<count {
      let (next, score, stop) = try candidate(restart)
      if best == nil || score < best?.score ?? .infinity { best = (next, score) }
      if stop { break }
    }
    guard let best else { throw KMeansError.invalidConfiguration("restarts must be at least 1") }
    return best.candidate
  }

  /// The mini-batch seeding: the sample is drawn once; with restarts, the seeding with the
  /// lowest inertia on it wins (scikit-learn judges its `n_init` seedings the same way).
  func seedMiniBatch<Rows: RowSource>(
    _ rows: inout Rows, miniBatch: MiniBatchConfiguration, totalRows n: Int
  ) throws -> KMeansTrainer<Scalar> where Rows.Data.Scalar == Scalar {
    let k = configuration.effectiveClusterCount
    let sampleSize = min(
      n,
      max(
        miniBatch.initializationSize ?? configuration.seedingSampleSize
          ?? miniBatch.automaticInitializationSize(
            rowCount: n, clusterCount: k, columnCount: rows.columnCount), k))
    var sample: Rows.Data? = nil
    return try bestOfRestarts(configuration.restarts) { restart in
      var candidate = try KMeansTrainer<Scalar>(
        configuration: configuration,
        mode: .miniBatch(stepsPerIteration: miniBatch.stepsPerIteration), restart: restart)
      if sample == nil, configuration.initialization.readsRows {
        sample = try seedingRows(
          &rows, sampleSize: sampleSize < n ? sampleSize : nil, stream: -2, totalRows: n)
      }
      try seed(
        &candidate, rows: &rows, restart: restart, totalRows: n, sampleSize: nil, given: sample)
      let inertia =
        configuration.restarts == 1
        ? 0 : sample.map { $0.assign(to: $0.prepareCenters(candidate.model.centers)).loss } ?? 0
      return (candidate, inertia, false)
    }
  }

  /// The one loop of steps, for both modes: from `trainer`'s state (fresh or restored) until
  /// a stopping rule holds, the mode's last step (`maxIterations`, or the epochs) is done, or
  /// (without a stop) the global step reaches `stepLimit`; each step is recorded, reported to
  /// `progress` and to `afterStep` (checkpoints); then the labels and inertia of the final
  /// centers.
  func runSteps<Rows: RowSource, Step: TrainingStep<Rows>>(
    _ rows: inout Rows, trainer: inout KMeansTrainer<Scalar>, state: inout LoopState,
    step: inout Step, absoluteTolerance: Double, stepLimit: Int64? = nil
  ) throws -> Result where Rows.Data.Scalar == Scalar {
    var statistics: [IterationStatistics] = []
    var stopReason = state.stopReason ?? .maxIterations
    var lastLoss: Double? = nil
    if state.stopReason == nil { step.begin() }
    while state.stopReason == nil {
      if trainer.globalStep >= step.lastStep {
        stopReason = .maxIterations
        break
      }
      if let stepLimit, trainer.globalStep >= stepLimit { break }
      let started = DispatchTime.now().uptimeNanoseconds
      let report = try step.run(
        &rows, trainer: &trainer, state: &state, stopRequested: isCancelled?() == true)
      var record = report.record
      record.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
      statistics.append(record)
      progress?(record)
      let stop = firstStopRule(
        report.result, converged: report.converged, absoluteTolerance: absoluteTolerance,
        previousLoss: state.previousLoss)
      state.previousLoss = report.result.loss
      state.stopReason = stop
      lastLoss = report.result.loss
      try afterStep?(trainer, state, record)
      if let stop { stopReason = stop }
    }
    let (labels, distances, inertia) = try step.finish(
      &rows, trainer: trainer, stopReason: stopReason, lastLoss: lastLoss)
    let model = KMeansModel(
      centers: trainer.clusters, metric: configuration.metric, inertia: inertia,
      iterationCount: Int(trainer.globalStep), stopReason: stopReason,
      iterationStatistics: statistics)
    return Result(
      model: model, labels: labels, distances: distances, trainer: trainer, state: state)
  }

  /// Every row's label and distance for the final centers, and the inertia over all workers.
  func finalAssignment<Rows: RowSource>(_ rows: inout Rows, trainer: KMeansTrainer<Scalar>)
    throws -> (labels: [Int32], distances: [Scalar], inertia: Double)
  where Rows.Data.Scalar == Scalar {
    var final = Assigner<Scalar>(rowCount: rows.rowCount ?? 0, bounded: false)
    let centers = trainer.assigningCenters(transposed: Rows.Data.readsTransposedCenters)
    var loss = 0.0
    try rows.forEachPiece { piece, offset in
      final.assign(piece, at: offset, to: centers).addLoss(to: &loss)
    }
    return (final.buffers.labels, final.buffers.distances, try collectives.sum(loss))
  }

  /// The stopping rules of every step, in order: the caller cancelled; the mode's own rule
  /// (`converged`: labels unchanged, or no improvement of the smoothed mini-batch loss); the
  /// center shift fell to `absoluteTolerance`; the relative loss change
  /// |L − L₋₁| / (1 + |L₋₁|) fell below `relativeTolerance` (TensorFlow's rule).
  func firstStopRule(
    _ result: StepResult, converged: StopReason?, absoluteTolerance: Double,
    previousLoss: Double?
  ) -> StopReason? {
    if result.stopRequested { return .cancelled }
    if let converged { return converged }
    if result.centerShift <= absoluteTolerance { return .centerShiftTolerance }
    if let relativeTolerance = configuration.relativeTolerance, let previousLoss,
      abs(result.loss - previousLoss) / (1 + abs(previousLoss)) < relativeTolerance
    {
      return .relativeLossTolerance
    }
    return nil
  }
}
