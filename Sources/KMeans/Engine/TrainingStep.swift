import Foundation

/// What full-batch and mini-batch training differ in: one step, and the labels at the end.
/// The loop around the steps — the stopping rules, the records, progress, cancellation and
/// checkpoints — is ``TrainingLoop/runSteps(_:trainer:state:step:absoluteTolerance:stepLimit:)``
/// for both.
protocol TrainingStep<Rows> {
  associatedtype Rows: RowSource
  /// The global step at which the run stops with ``StopReason/maxIterations``.
  var lastStep: Int64 { get }
  /// Readies the step's buffers before the first step of a run (outside the steps' timing).
  mutating func begin()
  /// Runs one step of `trainer` (keeping in `state` what the mode's rules remember).
  mutating func run(
    _ rows: inout Rows, trainer: inout KMeansTrainer<Rows.Data.Scalar>, state: inout LoopState,
    stopRequested: Bool
  ) throws -> StepReport
  /// Every row's label and distance for the final centers, and the inertia.
  mutating func finish(
    _ rows: inout Rows, trainer: KMeansTrainer<Rows.Data.Scalar>, stopReason: StopReason,
    lastLoss: Double?
  ) throws -> (labels: [Int32], distances: [Rows.Data.Scalar], inertia: Double)
}

extension TrainingStep {
  mutating func begin() {}
}

/// What one step did: the trainer's result, its record (the loop times it), and the mode's
/// own stopping rule, when it holds.
struct StepReport {
  var result: StepResult
  var record: IterationStatistics
  var converged: StopReason?
}

/// A full-batch step: one Lloyd iteration over every row, with the exact bounds the
/// configuration chooses; its own rule is "no label changed".
struct FullBatchStep<Rows: RowSource>: TrainingStep {
  typealias Scalar = Rows.Data.Scalar
  let loop: TrainingLoop<Scalar>
  let rowCount: Int
  /// Every rank's rows: what one step visits (for rows per second).
  let totalRows: Int
  let lastStep: Int64
  /// Whether the rows are in memory (not a stream).
  let inMemory: Bool
  /// Made when a run begins (after seeding, so that the two never hold memory
  /// together).
  private var assigner: Assigner<Scalar>? = nil

  init(rows: Rows, loop: TrainingLoop<Scalar>) throws {
    guard let rowCount = rows.rowCount else {
      throw KMeansError.emptyInput("the rows were never counted")
    }
    self.loop = loop
    self.rowCount = rowCount
    let collectives = loop.collectives
    totalRows = collectives.size > 1 ? Int(try collectives.sum(Double(rowCount))) : rowCount
    lastStep = Int64(loop.configuration.maxIterations)
    // Automatic bounds only for rows in memory (a stream keeps its memory to the piece: the
    // bounds would add 4 bytes a row) and where they pay off (dense rows).
    inMemory = rows.isInMemory
  }

  private static func assigner(rowCount: Int, loop: TrainingLoop<Scalar>, inMemory: Bool)
    -> Assigner<Scalar>
  {
    let configuration = loop.configuration
    return Assigner<Scalar>(
      rowCount: rowCount,
      strategy: configuration.boundStrategy(
        automatically: Rows.Data.boundsPayOff && inMemory,
        groups: Rows.Data.supportsGroupedBounds),
      clusterCount: configuration.effectiveClusterCount, metric: configuration.metric,
      threadCount: loop.threadCount)
  }

  /// Forgets the labels and bounds of a previous run (a new restart).
  mutating func reset() { assigner = nil }

  mutating func begin() {
    if assigner == nil {
      assigner = Self.assigner(rowCount: rowCount, loop: loop, inMemory: inMemory)
    }
  }

  mutating func run(
    _ rows: inout Rows, trainer: inout KMeansTrainer<Scalar>, state: inout LoopState,
    stopRequested: Bool
  ) throws -> StepReport {
    var assigner =
      self.assigner ?? Self.assigner(rowCount: rowCount, loop: loop, inMemory: inMemory)
    self.assigner = nil
    defer { self.assigner = assigner }
    let hadLabels = assigner.hasLabels
    let result = try trainer.step(
      over: &rows, assigner: &assigner, collectives: loop.collectives,
      rowOffset: loop.rowOffset, stopRequested: stopRequested)
    var changed = result.changedLabels
    var fingerprint: UInt64? = nil
    if loop.tracksLabelFingerprint {
      var limbs = LabelFingerprint()
      limbs.add(labels: assigner.buffers.labels[...], firstRow: loop.rowOffset)
      var sums = limbs.limbs
      if loop.collectives.size > 1 { try loop.collectives.sum(&sums) }
      fingerprint = LabelFingerprint.value(sums)
    }
    // After a resume the labels before this step are known only by their fingerprint.
    let comparable = hadLabels || (fingerprint != nil && state.labelFingerprint != nil)
    if !hadLabels, let fingerprint, let stored = state.labelFingerprint, fingerprint == stored {
      changed = 0
    }
    state.labelFingerprint = fingerprint
    var record = IterationStatistics(
      iteration: Int(trainer.globalStep), loss: result.loss, centerShift: result.centerShift,
      relocatedClusters: result.relocatedClusters, changedLabels: changed, seconds: 0)
    if assigner.bounded { record.fullyAssignedPoints = result.reassignedRows }
    record.rows = totalRows
    return StepReport(
      result: result, record: record,
      converged: comparable && changed == 0 ? .labelsUnchanged : nil)
  }

  /// The last step's labels when they already match the centers (no label changed), else one
  /// more assignment.
  mutating func finish(
    _ rows: inout Rows, trainer: KMeansTrainer<Scalar>, stopReason: StopReason,
    lastLoss: Double?
  ) throws -> (labels: [Int32], distances: [Scalar], inertia: Double) {
    if stopReason == .labelsUnchanged, let assigner, assigner.hasLabels, let lastLoss {
      return (assigner.buffers.labels, assigner.buffers.distances, lastLoss)
    }
    assigner = nil
    return try loop.finalAssignment(&rows, trainer: trainer)
  }
}
