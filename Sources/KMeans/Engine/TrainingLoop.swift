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
  /// (scikit-learn's scale for `tolerance`), from two passes: the column means, then the
  /// squared deviations from them. Also checks that some row has a positive weight.
  func dataScale<Rows: RowSource>(_ rows: inout Rows, needsVariance: Bool) throws -> (
    rowCount: Int, variance: Double
  ) where Rows.Data.Scalar == Scalar {
    let d = rows.columnCount
    var sums = [Double](repeating: 0, count: d + 2)
    try rows.forEachPiece { piece, _ in
      if needsVariance {
        let columns = piece.columnSums()
        for column in 0..<d { sums[column] += columns[column] }
      }
      sums[d] += Double(piece.rowCount)
      sums[d + 1] += piece.totalWeight
    }
    if collectives.size > 1 { try collectives.sum(&sums) }
    let n = sums[d]
    guard n > 0 else { throw KMeansError.emptyInput("the data has no rows") }
    guard sums[d + 1] > 0 else {
      throw KMeansError.invalidConfiguration(
        "the sample weights sum to \(sums[d + 1]); at least one must be positive")
    }
    guard needsVariance else { return (Int(n), 0) }
    let mean = (0..<d).map { sums[$0] / n }
    var deviations = [Double](repeating: 0, count: d)
    try rows.forEachPiece { piece, _ in
      let part = piece.columnSquaredDeviations(from: mean)
      for column in 0..<d { deviations[column] += part[column] }
    }
    if collectives.size > 1 { try collectives.sum(&deviations) }
    return (Int(n), deviations.reduce(0, +) / (n * Double(d)))
  }

  /// A run's state to continue from (a checkpoint).
  struct Resume {
    var trainer: KMeansTrainer<Scalar>
    var state: LoopState
  }

  /// Trains on `rows`: full batch, or mini-batch when `configuration.miniBatch` is set; from
  /// seeding, or from `resume`; until a stopping rule holds, or (without a stop) until the
  /// global step reaches `stepLimit`.
  func train<Rows: RowSource>(
    _ rows: inout Rows, resume: Resume? = nil, stepLimit: Int64? = nil
  ) throws -> Result where Rows.Data.Scalar == Scalar {
    // In-memory `fit` samples the rows itself and runs the loop without the setting.
    if configuration.maxPointsPerCenter != nil {
      throw KMeansError.invalidConfiguration(
        "maxPointsPerCenter applies to KMeansModel.fit on data in memory (kmeans train without --model-dir), not to model directories, streams or MPI ranks"
      )
    }
    if let miniBatch = configuration.miniBatch {
      return try fitMiniBatch(&rows, miniBatch: miniBatch, resume: resume, stepLimit: stepLimit)
    }
    return try fitFullBatch(&rows, resume: resume, stepLimit: stepLimit)
  }

  // MARK: Full batch

  /// Lloyd's algorithm with restarts: each restart seeds (``seed(_:rows:restart:totalRows:sampleSize:given:)``)
  /// and runs ``runFullBatch(_:trainer:state:absoluteTolerance:stepLimit:)``; the lowest
  /// inertia wins (the same choice on every worker).
  func fitFullBatch<Rows: RowSource>(
    _ rows: inout Rows, resume: Resume? = nil, stepLimit: Int64? = nil
  ) throws -> Result where Rows.Data.Scalar == Scalar {
    let scale = try dataScale(&rows, needsVariance: configuration.effectiveTolerance > 0)
    let absoluteTolerance = configuration.effectiveTolerance * scale.variance
    if let resume {
      var trainer = resume.trainer
      var state = resume.state
      return try runFullBatch(
        &rows, trainer: &trainer, state: &state, absoluteTolerance: absoluteTolerance,
        stepLimit: stepLimit)
    }
    var restarts = configuration.restarts
    if case .centers = configuration.initialization { restarts = 1 }
    var best: Result? = nil
    for restart in 0..<restarts {
      var trainer = try KMeansTrainer<Scalar>(
        configuration: configuration, mode: .fullBatch, restart: restart)
      try seed(
        &trainer, rows: &rows, restart: restart, totalRows: scale.rowCount,
        sampleSize: configuration.seedingSample(rowCount: scale.rowCount))
      var state = LoopState()
      let run = try runFullBatch(
        &rows, trainer: &trainer, state: &state, absoluteTolerance: absoluteTolerance,
        stepLimit: stepLimit)
      if best == nil || run.model.inertia < best?.model.inertia ?? .infinity { best = run }
      if run.model.stopReason == .cancelled { break }
    }
    guard let best else { throw KMeansError.invalidConfiguration("restarts must be at least 1") }
    return best
  }

  /// Full-batch steps from `trainer`'s state (fresh or restored) until a stopping rule holds,
  /// `maxIterations` global steps are done, or (without a stop) the global step reaches
  /// `stepLimit`; then the labels of the final centers.
  ///
  /// The rules, in order: the caller cancelled; no label changed; the center shift fell to
  /// `absoluteTolerance`; the relative loss change fell below `relativeTolerance`.
  func runFullBatch<Rows: RowSource>(
    _ rows: inout Rows, trainer: inout KMeansTrainer<Scalar>, state: inout LoopState,
    absoluteTolerance: Double, stepLimit: Int64? = nil
  ) throws -> Result where Rows.Data.Scalar == Scalar {
    guard let rowCount = rows.rowCount else {
      throw KMeansError.emptyInput("the rows were never counted")
    }
    // Automatic bounds only for rows in memory (a stream keeps its memory to the piece: the
    // bounds would add 4 bytes a row) and where they pay off (dense rows).
    let automaticBounds = Rows.Data.boundsPayOff && rows.allRows != nil
    var assigner = Assigner<Scalar>(
      rowCount: rowCount,
      strategy: configuration.boundStrategy(
        automatically: automaticBounds, groups: Rows.Data.supportsGroupedBounds),
      clusterCount: configuration.effectiveClusterCount, metric: configuration.metric,
      threadCount: threadCount)
    var statistics: [IterationStatistics] = []
    var stopReason = state.stopReason ?? .maxIterations
    var lastLoss: Double? = nil
    // Every rank's rows: what one step visits (for rows per second).
    let totalRows = collectives.size > 1 ? Int(try collectives.sum(Double(rowCount))) : rowCount
    while state.stopReason == nil {
      if trainer.globalStep >= Int64(configuration.maxIterations) {
        stopReason = .maxIterations
        break
      }
      if let stepLimit, trainer.globalStep >= stepLimit { break }
      let started = DispatchTime.now().uptimeNanoseconds
      let hadLabels = assigner.hasLabels
      let result = try trainer.step(
        over: &rows, assigner: &assigner, collectives: collectives, rowOffset: rowOffset,
        stopRequested: isCancelled?() == true)
      var changed = result.changedLabels
      var fingerprint: UInt64? = nil
      if tracksLabelFingerprint {
        var limbs = LabelFingerprint()
        limbs.add(labels: assigner.buffers.labels[...], firstRow: rowOffset)
        var sums = limbs.limbs
        if collectives.size > 1 { try collectives.sum(&sums) }
        fingerprint = LabelFingerprint.value(sums)
      }
      // After a resume the labels before this step are known only by their fingerprint.
      let comparable = hadLabels || (fingerprint != nil && state.labelFingerprint != nil)
      if !hadLabels, let fingerprint, let stored = state.labelFingerprint, fingerprint == stored {
        changed = 0
      }
      var record = IterationStatistics(
        iteration: Int(trainer.globalStep), loss: result.loss, centerShift: result.centerShift,
        relocatedClusters: result.relocatedClusters, changedLabels: changed,
        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
      if assigner.bounded { record.fullyAssignedPoints = result.reassignedRows }
      record.rows = totalRows
      statistics.append(record)
      progress?(record)
      let stop = firstStopRule(
        result, converged: comparable && changed == 0 ? .labelsUnchanged : nil,
        absoluteTolerance: absoluteTolerance, previousLoss: state.previousLoss)
      state.previousLoss = result.loss
      state.labelFingerprint = fingerprint
      state.stopReason = stop
      lastLoss = result.loss
      try afterStep?(trainer, state, record)
      if let stop { stopReason = stop }
    }
    // Unless the labels already match the centers, assign once more so that they do.
    var inertia: Double
    if stopReason == .labelsUnchanged, assigner.hasLabels, let lastLoss {
      inertia = lastLoss
    } else {
      var final = Assigner<Scalar>(rowCount: rowCount, bounded: false)
      let centers = trainer.assigningCenters(transposed: Rows.Data.readsTransposedCenters)
      var loss = 0.0
      try rows.forEachPiece { piece, offset in
        final.assign(piece, at: offset, to: centers).addLoss(to: &loss)
      }
      assigner = final
      inertia = try collectives.sum(loss)
    }
    let model = KMeansModel(
      centers: trainer.clusters, metric: configuration.metric, inertia: inertia,
      iterationCount: Int(trainer.globalStep), stopReason: stopReason,
      iterationStatistics: statistics)
    return Result(
      model: model, labels: assigner.buffers.labels, distances: assigner.buffers.distances,
      trainer: trainer, state: state)
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

  // MARK: Mini-batch

  /// Mini-batch training (TensorFlow's update rule, scikit-learn's schedule): the centers are
  /// seeded on a sample (the best of `restarts` seedings by inertia on the sample), then each
  /// step is one batch, until a stopping rule holds; finally one pass gives the labels and the
  /// inertia.
  func fitMiniBatch<Rows: RowSource>(
    _ rows: inout Rows, miniBatch: MiniBatchConfiguration, resume: Resume? = nil,
    stepLimit: Int64? = nil
  ) throws -> Result where Rows.Data.Scalar == Scalar {
    let scale = try dataScale(&rows, needsVariance: configuration.effectiveTolerance > 0)
    let k = configuration.effectiveClusterCount
    let n = scale.rowCount
    if let resume {
      var trainer = resume.trainer
      var state = resume.state
      return try runMiniBatch(
        &rows, trainer: &trainer, state: &state, miniBatch: miniBatch, totalRows: n,
        absoluteTolerance: configuration.effectiveTolerance * scale.variance, stepLimit: stepLimit)
    }
    let sampleSize = min(
      n,
      max(
        miniBatch.initializationSize ?? configuration.seedingSampleSize
          ?? max(3 * max(miniBatch.batchSize, k), 256 * k), k))
    var best: KMeansTrainer<Scalar>? = nil
    var bestInertia = Double.infinity
    // The sample is drawn once; with restarts, the seeding with the lowest inertia on it wins
    // (scikit-learn judges its `n_init` seedings the same way).
    var sample: Rows.Data? = nil
    for restart in 0..<configuration.restarts {
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
      if best == nil || inertia < bestInertia {
        bestInertia = inertia
        best = candidate
      }
    }
    guard var trainer = best else {
      throw KMeansError.invalidConfiguration("restarts must be at least 1")
    }
    var state = LoopState()
    return try runMiniBatch(
      &rows, trainer: &trainer, state: &state, miniBatch: miniBatch, totalRows: n,
      absoluteTolerance: configuration.effectiveTolerance * scale.variance, stepLimit: stepLimit)
  }

  /// Mini-batch steps from `trainer`'s state until a rule stops them (or `stepLimit`): in
  /// memory, batch s is slice s of a seeded shuffle of all rows for its epoch (a pure function
  /// of the step, so a resumed run sees the batches an uninterrupted one does); a stream gives
  /// its batches in file order.
  ///
  /// The rules: cancelled; the smoothed batch loss did not improve for `maxNoImprovement`
  /// steps; the center shift of a step fell to `absoluteTolerance` (scikit-learn's rule);
  /// the relative loss change fell below `relativeTolerance` (TensorFlow's); the epochs ran
  /// out (the smaller of `miniBatch.epochs` and `maxIterations`).
  func runMiniBatch<Rows: RowSource>(
    _ rows: inout Rows, trainer: inout KMeansTrainer<Scalar>, state: inout LoopState,
    miniBatch: MiniBatchConfiguration, totalRows n: Int, absoluteTolerance: Double,
    stepLimit: Int64? = nil
  ) throws -> Result where Rows.Data.Scalar == Scalar {
    let batchSize = min(miniBatch.batchSize, n)
    let epochs = min(miniBatch.epochs, configuration.maxIterations)
    var batches = try BatchFeed(rows: rows, totalRows: n, batchSize: batchSize, loop: self)
    let stepsPerEpoch = (n + batchSize - 1) / batchSize
    var log = MiniBatchLog(
      batchSize: batchSize, rowCount: n, limit: miniBatch.maxNoImprovement, state: state)
    var stopReason = state.stopReason ?? .maxIterations
    while state.stopReason == nil {
      if trainer.globalStep >= Int64(epochs * stepsPerEpoch) {
        stopReason = .maxIterations
        break
      }
      if let stepLimit, trainer.globalStep >= stepLimit { break }
      let started = DispatchTime.now().uptimeNanoseconds
      let batch = try batches.batch(forStep: trainer.globalStep, rows: &rows)
      var batchRows = MemoryRows(batch.data)
      var assigner = Assigner<Scalar>(rowCount: batch.data.rowCount, bounded: false)
      let result = try trainer.step(
        over: &batchRows, assigner: &assigner, collectives: collectives,
        rowOffset: batch.rowOffset, stopRequested: isCancelled?() == true)
      let rowsInBatch = Int(try collectives.sum(Double(batch.data.rowCount)))
      try reassignStarvedCenters(
        &trainer, state: &state, batch: batch.data, globalBatchRows: rowsInBatch,
        batchOffset: batch.rowOffset, miniBatch: miniBatch, step: trainer.globalStep)
      let improved = log.record(loss: result.loss, rows: rowsInBatch)
      var record = IterationStatistics(
        iteration: Int(trainer.globalStep), loss: result.loss, centerShift: result.centerShift,
        relocatedClusters: 0, changedLabels: rowsInBatch,
        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
      record.rows = rowsInBatch
      progress?(record)
      stepProgress?(
        Int(trainer.globalStep),
        StepOutput(
          shards: [
            ShardStepOutput(
              clusterIndices: assigner.buffers.labels.map(Int.init),
              scores: assigner.buffers.distances, allScores: nil)
          ], loss: result.loss, centerShift: result.centerShift, relocatedClusters: 0,
          syncRanAtStart: result.syncRanAtStart))
      let stop = firstStopRule(
        result, converged: improved ? nil : .noImprovement,
        absoluteTolerance: absoluteTolerance, previousLoss: state.previousLoss)
      log.write(to: &state)
      state.previousLoss = result.loss
      state.stopReason = stop
      log.statistics.append(record)
      try afterStep?(trainer, state, record)
      if let stop { stopReason = stop }
    }
    // The labels and the inertia of the final centers, over all rows.
    let rowCount = rows.rowCount ?? 0
    var final = Assigner<Scalar>(rowCount: rowCount, bounded: false)
    let centers = trainer.assigningCenters(transposed: Rows.Data.readsTransposedCenters)
    var loss = 0.0
    try rows.forEachPiece { piece, offset in
      final.assign(piece, at: offset, to: centers).addLoss(to: &loss)
    }
    let model = KMeansModel(
      centers: trainer.model.centers, metric: configuration.metric,
      inertia: try collectives.sum(loss), iterationCount: Int(trainer.globalStep),
      stopReason: stopReason, iterationStatistics: log.statistics)
    return Result(
      model: model, labels: final.buffers.labels, distances: final.buffers.distances,
      trainer: trainer, state: state)
  }

  /// scikit-learn's rule: every 10·k rows, or as soon as a center has a zero count, centers
  /// whose count is below `reassignmentRatio` × the largest count move to random distinct rows
  /// of the batch (at most half the batch), and their counts become the smallest count kept.
  /// The draws depend only on the seed and the step; the rows come from whichever worker
  /// holds them.
  func reassignStarvedCenters<Data: ClusterableData<Scalar>>(
    _ trainer: inout KMeansTrainer<Scalar>, state: inout LoopState, batch: Data,
    globalBatchRows: Int, batchOffset: Int, miniBatch: MiniBatchConfiguration, step: Int64
  ) throws {
    let k = trainer.clusterCount
    guard miniBatch.reassignmentRatio > 0, miniBatch.stepsPerIteration == 1 else { return }
    state.rowsSinceReassignment += globalBatchRows
    guard trainer.weightTotals.contains(0) || state.rowsSinceReassignment >= 10 * k else {
      return
    }
    state.rowsSinceReassignment = 0
    let counts = trainer.weightTotals
    let threshold = miniBatch.reassignmentRatio * (counts.max() ?? 0)
    var starved = (configuration.frozenCenterCount..<k).filter { counts[$0] < threshold }
    let limit = globalBatchRows / 2
    if starved.count > limit {
      starved = Array(starved.sorted { (counts[$0], $0) < (counts[$1], $1) }.prefix(limit)).sorted()
    }
    guard !starved.isEmpty else { return }
    let kept = (0..<k).filter { !starved.contains($0) }.map { counts[$0] }
    // Distinct positions in the whole batch (all workers' parts in rank order).
    var random = RandomSource(seed: configuration.seed, stream: -1_000_000 - Int(step))
    var shuffle = SparseShuffle(count: globalBatchRows)
    let positions = (0..<starved.count).compactMap { _ in shuffle.next(&random) }
    let local = positions.filter { $0 >= batchOffset && $0 < batchOffset + batch.rowCount }
    let ownRows = batch.rowsMatrix(local.map { $0 - batchOffset })
    var message: [Double] = []
    for (index, position) in local.enumerated() {
      message += [Double(position)] + ownRows.row(index).map(Double.init)
    }
    let all = try collectives.gatherJoined(message)
    let d = trainer.clusters.columnCount
    var byPosition: [Int: [Scalar]] = [:]
    for start in stride(from: 0, to: all.count, by: d + 1) {
      byPosition[Int(all[start])] = all[(start + 1)..<(start + 1 + d)].map { Scalar($0) }
    }
    // swift-format-ignore: NeverUseForceTry
    let rows = try! Matrix(rows: positions.map { byPosition[$0] ?? [] })
    trainer.replaceCenters(starved, with: rows, count: kept.min() ?? 1)
    state.reassignedCenters += starved.count
  }
}

/// The batches of mini-batch steps: in memory, batch s is slice s mod (batches per epoch) of
/// a seeded shuffle of all rows for epoch s / (batches per epoch), each worker taking the rows
/// it holds; a stream gives consecutive pieces in file order, starting a new pass after each
/// epoch (and skipping ahead after a resume).
struct BatchFeed<Data: ClusterableData> {
  struct Batch {
    var data: Data
    /// The index of this worker's first row of the batch among the whole batch's rows.
    var rowOffset: Int
  }

  let totalRows: Int
  let batchSize: Int
  let seed: UInt64
  let inMemory: Data?
  let rowOffset: Int
  let collectives: any Collectives
  private var epoch = -1
  private var order: [Int] = []
  /// The step whose batch a stream read last.
  private var lastStreamStep: Int64 = -2

  init<Rows: RowSource, Scalar>(
    rows: Rows, totalRows: Int, batchSize: Int, loop: TrainingLoop<Scalar>
  ) throws where Rows.Data == Data {
    self.totalRows = totalRows
    self.batchSize = batchSize
    self.seed = loop.configuration.seed
    self.inMemory = rows.allRows
    self.rowOffset = loop.rowOffset
    self.collectives = loop.collectives
    if inMemory == nil && loop.collectives.size > 1 {
      throw KMeansError.invalidConfiguration(
        "mini-batch training over several workers needs each worker's rows in memory")
    }
  }

  var batchesPerEpoch: Int { (totalRows + batchSize - 1) / batchSize }

  mutating func batch<Rows: RowSource>(forStep step: Int64, rows: inout Rows) throws -> Batch
  where Rows.Data == Data {
    let position = Int(step) % batchesPerEpoch
    if let data = inMemory {
      let stepEpoch = Int(step) / batchesPerEpoch
      if stepEpoch != epoch {
        epoch = stepEpoch
        order = BatchFeed.shuffledRows(totalRows, seed: seed, epoch: stepEpoch)
      }
      let start = position * batchSize
      let global = order[start..<min(totalRows, start + batchSize)]
      // This worker's rows of the batch, in batch order, and where they start in it.
      var local: [Int] = []
      for row in global where row >= rowOffset && row < rowOffset + data.rowCount {
        local.append(row - rowOffset)
      }
      var offset = 0
      if collectives.size > 1 {
        let counts = try collectives.gather([Double(local.count)]).map { Int($0[0]) }
        offset = counts.prefix(collectives.rank).reduce(0, +)
      }
      return Batch(data: data.gathered(local), rowOffset: offset)
    }
    // A stream: the next `batchSize` rows in file order.
    if position == 0 || step != lastStreamStep + 1 {
      try rows.startPass()
      for _ in 0..<position { _ = try rows.nextPiece(maxRows: batchSize) }
    }
    lastStreamStep = step
    guard let piece = try rows.nextPiece(maxRows: batchSize) else {
      throw KMeansError.shapeMismatch("the stream ended before its \(totalRows) rows")
    }
    return Batch(data: piece, rowOffset: 0)
  }

  /// A seeded Fisher–Yates shuffle of `0..<count` for one epoch.
  static func shuffledRows(_ count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var random = RandomSource(seed: seed, stream: 1_000_000 + epoch)
    var order = Array(0..<count)
    for index in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(index, random.nextIndex(below: index + 1))
    }
    return order
  }
}

/// The record of mini-batch steps, with scikit-learn's early stopping: an exponentially
/// weighted average of the per-row batch loss, α = min(1, 2·batchSize/(n + 1)), and a count of
/// steps since it last improved.
struct MiniBatchLog {
  let alpha: Double
  let limit: Int?
  var smoothed: Double?
  var best: Double
  var withoutImprovement: Int
  /// One record per step.
  var statistics: [IterationStatistics] = []

  init(batchSize: Int, rowCount: Int, limit: Int?, state: LoopState) {
    alpha = min(1, 2 * Double(batchSize) / Double(rowCount + 1))
    self.limit = limit
    smoothed = state.smoothedLoss
    best = state.bestSmoothedLoss ?? .infinity
    withoutImprovement = state.stepsWithoutImprovement
  }

  /// Records one step's loss over `rows` rows; false once `limit` steps in a row brought no
  /// improvement.
  mutating func record(loss: Double, rows: Int) -> Bool {
    let perRow = loss / Double(max(1, rows))
    let average = smoothed.map { $0 * (1 - alpha) + perRow * alpha } ?? perRow
    smoothed = average
    if average < best {
      best = average
      withoutImprovement = 0
    } else {
      withoutImprovement += 1
    }
    guard let limit else { return true }
    return withoutImprovement < limit
  }

  func write(to state: inout LoopState) {
    state.smoothedLoss = smoothed
    state.bestSmoothedLoss = best.isFinite ? best : nil
    state.stepsWithoutImprovement = withoutImprovement
  }
}
