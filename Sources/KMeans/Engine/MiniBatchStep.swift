import Foundation

/// A mini-batch step: one batch (in memory, slice s of a seeded shuffle of all rows for its
/// epoch, a pure function of the step, so a resumed run sees the batches an uninterrupted one
/// does; a stream gives its batches in file order), TensorFlow's update rule, scikit-learn's
/// reassignment of starved centers; its own rule is "the smoothed batch loss did not improve
/// for `maxNoImprovement` steps". The run ends when the epochs run out (the smaller of
/// `miniBatch.epochs` and `maxIterations`).
struct MiniBatchStep<Rows: RowSource>: TrainingStep {
  typealias Scalar = Rows.Data.Scalar
  let loop: TrainingLoop<Scalar>
  let miniBatch: MiniBatchConfiguration
  let lastStep: Int64
  private var batches: BatchFeed<Rows.Data>
  private var log: MiniBatchLog?
  private let batchSize: Int
  private let totalRows: Int

  init(
    rows: Rows, miniBatch: MiniBatchConfiguration, totalRows n: Int, loop: TrainingLoop<Scalar>
  ) throws {
    self.loop = loop
    self.miniBatch = miniBatch
    batchSize = min(miniBatch.batchSize, n)
    totalRows = n
    let epochs = min(miniBatch.epochs, loop.configuration.maxIterations)
    batches = try BatchFeed(rows: rows, totalRows: n, batchSize: batchSize, loop: loop)
    lastStep = Int64(epochs * ((n + batchSize - 1) / batchSize))
  }

  mutating func run(
    _ rows: inout Rows, trainer: inout KMeansTrainer<Scalar>, state: inout LoopState,
    stopRequested: Bool
  ) throws -> StepReport {
    var log =
      self.log
      ?? MiniBatchLog(
        batchSize: batchSize, rowCount: totalRows, limit: miniBatch.maxNoImprovement, state: state)
    let batch = try batches.batch(forStep: trainer.globalStep, rows: &rows)
    var batchRows = MemoryRows(batch.data)
    var assigner = Assigner<Scalar>(rowCount: batch.data.rowCount, bounded: false)
    let result = try trainer.step(
      over: &batchRows, assigner: &assigner, collectives: loop.collectives,
      rowOffset: batch.rowOffset, stopRequested: stopRequested)
    let rowsInBatch = Int(try loop.collectives.sum(Double(batch.data.rowCount)))
    try loop.reassignStarvedCenters(
      &trainer, state: &state, batch: batch.data, globalBatchRows: rowsInBatch,
      batchOffset: batch.rowOffset, miniBatch: miniBatch, step: trainer.globalStep)
    let improved = log.record(loss: result.loss, rows: rowsInBatch)
    log.write(to: &state)
    self.log = log
    var record = IterationStatistics(
      iteration: Int(trainer.globalStep), loss: result.loss, centerShift: result.centerShift,
      relocatedClusters: 0, changedLabels: rowsInBatch, seconds: 0)
    record.rows = rowsInBatch
    loop.stepProgress?(
      Int(trainer.globalStep),
      StepOutput(
        shards: [
          ShardStepOutput(
            clusterIndices: assigner.buffers.labels.map(Int.init),
            scores: assigner.buffers.distances, allScores: nil)
        ], loss: result.loss, centerShift: result.centerShift, relocatedClusters: 0,
        syncRanAtStart: result.syncRanAtStart))
    return StepReport(result: result, record: record, converged: improved ? nil : .noImprovement)
  }

  /// One pass gives the labels and the inertia of the final centers, over all rows.
  mutating func finish(
    _ rows: inout Rows, trainer: KMeansTrainer<Scalar>, stopReason: StopReason,
    lastLoss: Double?
  ) throws -> (labels: [Int32], distances: [Scalar], inertia: Double) {
    try loop.finalAssignment(&rows, trainer: trainer)
  }
}

extension TrainingLoop {
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
