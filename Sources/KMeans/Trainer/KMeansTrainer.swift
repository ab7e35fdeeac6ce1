import Foundation
import KMeansKernels

/// The stepwise k-means engine, with exactly the state of TensorFlow's k-means training
/// graph: `clusters`, `initialized`, the per-center `counts`, `clustersUpdated`,
/// `updateInSteps` and the global step.
///
/// Call ``initialize(with:)`` with batches until it returns true, then `step(on:allScores:)`
/// once per batch (mini-batch) or per pass over the data (full batch). `KMeansModel.fit(_:weights:configuration:observer:)`
/// is a loop over this type.
///
/// ```swift
/// var trainer = KMeansTrainer<Float>(configuration: configuration, mode: .miniBatch(stepsPerIteration: 1))
/// while try !trainer.initialize(with: nextBatch()) {}
/// for _ in 0..<100 { _ = try trainer.step(on: nextBatch()) }
/// let model = trainer.model
/// ```
///
/// Its step is the one every training path of swift-kmeans runs (in memory, streamed, in a
/// model directory, over MPI ranks): assign → accumulate → reduce → update.
public struct KMeansTrainer<Scalar: KMeansScalar>: Sendable {
  /// The settings: cluster count, initialization, metric, seed, threads, `tfCompat`.
  public let configuration: KMeansConfiguration
  /// Full batch or mini-batch.
  public let mode: TrainingMode

  /// The centers used for assignment (TensorFlow's `clusters`); fewer than `k` rows until
  /// initialized.
  public internal(set) var clusters: Matrix<Scalar>
  /// Whether all `k` centers exist.
  public internal(set) var initialized = false
  /// The running count of points per center (mini-batch): starts at one for one step per
  /// iteration, at zero otherwise. With sample weights, the running weight per center,
  /// rounded (the update itself uses the exact weights).
  public var counts: [Int64] { weightTotals.map { Int64($0.rounded()) } }
  /// The running weight per center (the count without weights), used by the mini-batch rule.
  package internal(set) var weightTotals: [Double]
  /// The copy of the centers that mini-batch steps update when `stepsPerIteration > 1`; the
  /// same as ``clusters`` otherwise.
  public var clustersUpdated: Matrix<Scalar> { stepsPerIteration > 1 ? updatedCopy : clusters }
  /// Steps left before the next sync of the two copies (mini-batch, `stepsPerIteration > 1`).
  public internal(set) var updateInSteps: Int64
  /// Training steps taken.
  public internal(set) var globalStep: Int64 = 0

  var updatedCopy: Matrix<Scalar>
  var random: RandomSource
  let threadCount: Int

  /// A trainer with no centers yet.
  /// - Parameters:
  ///   - configuration: k, seeding, metric, seed and threads.
  ///   - mode: full batch, or mini-batch with TensorFlow's steps per iteration.
  ///   - restart: selects an independent random stream (for restarts).
  /// - Throws: ``KMeansError/invalidConfiguration(_:)``.
  public init(configuration: KMeansConfiguration, mode: TrainingMode = .fullBatch, restart: Int = 0)
    throws
  {
    try configuration.validate()
    if case .miniBatch(let steps) = mode, steps < 1 {
      throw KMeansError.invalidConfiguration("stepsPerIteration=\(steps) must be at least 1")
    }
    self.configuration = configuration
    self.mode = mode
    self.threadCount = configuration.threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    self.random = RandomSource(seed: configuration.seed, stream: restart)
    let k = configuration.effectiveClusterCount
    self.clusters = Matrix(zerosWithRowCount: 0, columnCount: 0)
    self.updatedCopy = clusters
    var stepsPerIteration = 1
    if case .miniBatch(let steps) = mode { stepsPerIteration = steps }
    self.weightTotals = [Double](repeating: stepsPerIteration == 1 ? 1 : 0, count: k)
    self.updateInSteps = Int64(stepsPerIteration)
  }

  /// The number of clusters `k`.
  public var clusterCount: Int { configuration.effectiveClusterCount }

  var stepsPerIteration: Int {
    if case .miniBatch(let steps) = mode { return steps }
    return 1
  }

  var metric: DistanceMetric { configuration.metric }

  /// The current centers as a model (unit length under cosine).
  public var model: KMeansModel<Scalar> {
    // The model scales cosine centers to unit length unless they already are (the same rule
    // as a model read back from a checkpoint of these centers).
    KMeansModel(centers: clusters, metric: metric)
  }

  // MARK: Steps

  /// One training step on one batch.
  public mutating func step(on batch: Matrix<Scalar>, allScores: Bool = false) throws
    -> StepOutput<Scalar>
  {
    try step(on: [batch], allScores: allScores)
  }

  /// One training step on a list of shards (together, one batch): TensorFlow's
  /// `training_op`, returning per shard the cluster indices, the scores and, when asked, all
  /// scores, and the loss (Σ scores before the update).
  ///
  /// Shards give the same cluster indices as one matrix of all their rows.
  /// - Throws: ``KMeansError`` when not initialized, on a dimension mismatch, on non-finite
  ///   values, or on a zero row under cosine.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public mutating func step(on shards: [Matrix<Scalar>], allScores: Bool = false) throws
    -> StepOutput<Scalar>
  {
    guard !shards.isEmpty else { throw KMeansError.emptyInput("a step needs at least one shard") }
    try checkInitialized()
    var offset = 0
    let prepared = try shards.map { shard in
      guard shard.columnCount == clusters.columnCount else {
        throw KMeansError.dimensionMismatch(
          expected: clusters.columnCount, actual: shard.columnCount, context: "the centers")
      }
      defer { offset += shard.rowCount }
      return try PreparedData(shard, metric: metric, threadCount: threadCount, firstRow: offset)
    }
    // All scores are taken against the centers this step assigns to.
    let assigning = assigningCenters(transposed: false)
    var rows = ShardRows(shards: prepared)
    var assigner = Assigner<Scalar>(rowCount: offset, bounded: false)
    let result = try step(over: &rows, assigner: &assigner)
    var start = 0
    let outputs = prepared.map { shard in
      defer { start += shard.rowCount }
      let range = start..<(start + shard.rowCount)
      return ShardStepOutput<Scalar>(
        clusterIndices: assigner.buffers.labels[range].map(Int.init),
        scores: Array(assigner.buffers.distances[range]),
        allScores: allScores ? shard.allScoresMatrix(to: assigning) : nil)
    }
    return StepOutput(
      shards: outputs, loss: result.loss, centerShift: result.centerShift,
      relocatedClusters: result.relocatedClusters, syncRanAtStart: result.syncRanAtStart)
  }

  /// The centers a step assigns to: the assigning copy, unit length under cosine — the
  /// centers as they are when already of unit length (as every update leaves them), exactly
  /// the centers a ``KMeansModel`` of them predicts with. (Normalizing unit rows again can move
  /// a value by an ulp, and so turn a near tie: training's labels would then differ from
  /// `predict`'s.)
  func assigningCenters(transposed: Bool) -> PreparedCenters<Scalar> {
    PreparedCenters(
      metric == .cosine ? clusters.unitRowsIfNeeded() : clusters, transposed: transposed)
  }

  /// The one training step every driver runs: assign the worker's rows (the assigner's
  /// strategy: every distance or Hamerly's bounds; dense or sparse; in memory or a piece at a
  /// time), accumulate the per-cluster sums, reduce them over the workers, and update the
  /// centers (Lloyd's means with empty-cluster relocation, or TensorFlow's mini-batch rule).
  ///
  /// - Parameters:
  ///   - rows: this worker's rows; their assignments are left in `assigner`.
  ///   - collectives: the reduction over workers (one process by default).
  ///   - rowOffset: the index of this worker's first row among all workers' rows.
  ///   - stopRequested: this worker asks to stop; the result says whether any worker did.
  mutating func step<Rows: RowSource>(
    over rows: inout Rows, assigner: inout Assigner<Scalar>,
    collectives: any Collectives = SingleProcessCollectives(), rowOffset: Int = 0,
    stopRequested: Bool = false
  ) throws -> StepResult where Rows.Data.Scalar == Scalar {
    try checkInitialized()
    let k = clusterCount
    let d = clusters.columnCount
    guard rows.columnCount == d else {
      throw KMeansError.dimensionMismatch(
        expected: d, actual: rows.columnCount, context: "the centers")
    }
    // The assignment uses the centers as they were before any sync at the start of this step.
    let assigning = assigningCenters(transposed: Rows.Data.readsTransposedCenters)
    var syncRan = false
    if case .miniBatch(let steps) = mode, steps > 1 {
      if updateInSteps <= 0 {
        updateInSteps = Int64(steps - 1)
        clusters = metric == .cosine ? updatedCopy.l2NormalizedRows() : updatedCopy
        weightTotals = [Double](repeating: 0, count: k)
        syncRan = true
      } else {
        updateInSteps -= 1
      }
    }
    let localRows = rows.rowCount ?? assigner.buffers.rowCount
    var sums = ClusterSumsAccumulator<Scalar>(clusterCount: k, dimension: d, rowCount: localRows)
    var loss = 0.0
    var changed = 0
    var reassigned = 0
    assigner.beginPass(assigning)
    try rows.forEachPiece { piece, offset in
      let (totals, summed) = assigner.assign(piece, at: offset, to: assigning, summingInto: &sums)
      totals.addLoss(to: &loss)
      changed += totals.changedLabels
      reassigned += totals.reassignedRows
      if !summed {
        piece.accumulate(
          labels: assigner.buffers.labels, labelOffset: offset, at: offset, into: &sums)
      }
    }
    assigner.endPass(assigning)
    // One reduction per step: the sums, the loss, the counts and the stop flag.
    var total = sums.total()
    var figures = [loss, Double(changed), Double(reassigned), stopRequested ? 1 : 0]
    if collectives.size > 1 {
      var packed = total.packed + figures
      try collectives.sum(&packed)
      total = ClusterSums(packed: packed[0..<(k * d + 2 * k)], clusterCount: k, dimension: d)
      figures = Array(packed[(k * d + 2 * k)...])
    }
    var shift = 0.0
    var relocated = 0
    switch mode {
    case .fullBatch:
      let empty =
        configuration.tfCompat
        ? 0 : total.weights.dropFirst(configuration.frozenCenterCount).filter { $0 == 0 }.count
      let candidates = try relocationCandidates(
        count: empty, rows: &rows, assigner: assigner, collectives: collectives,
        rowOffset: rowOffset)
      let update = Self.centersFromSums(
        total, old: clusters, relocating: candidates, metric: metric,
        tfCompat: configuration.tfCompat, frozen: configuration.frozenCenterCount)
      clusters = update.centers
      updatedCopy = update.centers
      (shift, relocated) = (update.centerShift, update.relocatedClusters)
    case .miniBatch:
      shift = miniBatchUpdate(total)
    }
    globalStep += 1
    return StepResult(
      loss: figures[0], changedLabels: Int(figures[1].rounded()),
      reassignedRows: Int(figures[2].rounded()), centerShift: shift, relocatedClusters: relocated,
      syncRanAtStart: syncRan, stopRequested: figures[3] > 0,
      totalWeight: total.weights.reduce(0, +))
  }

  /// The `count` points farthest from their centers over every worker, farthest first; ties
  /// go to the lower row (all workers' rows counted in rank order).
  func relocationCandidates<Rows: RowSource>(
    count: Int, rows: inout Rows, assigner: Assigner<Scalar>, collectives: any Collectives,
    rowOffset: Int
  ) throws -> [RelocationCandidate] where Rows.Data.Scalar == Scalar {
    guard count > 0 else { return [] }
    let local = assigner.farthestRows(count: count)
    let sorted = local.sorted()
    let values = try rows.fetchRows(sorted)
    var message: [Double] = []
    for row in local {
      let position = sorted.firstIndex(of: row) ?? 0
      message += [
        Double(assigner.buffers.distances[row]), Double(rowOffset + row),
        Double(assigner.buffers.labels[row]), values?.weight(ofRow: position) ?? 1,
      ]
      message += values?.rowsMatrix([position]).row(0).map(Double.init) ?? []
    }
    let width = 4 + clusters.columnCount
    let all = try collectives.gatherJoined(message)
    var candidates: [(distance: Double, row: Double, candidate: RelocationCandidate)] = []
    for start in stride(from: 0, to: all.count, by: width) {
      candidates.append(
        (
          all[start], all[start + 1],
          RelocationCandidate(
            distance: all[start], label: Int(all[start + 2]),
            values: Array(all[(start + 4)..<(start + width)]), weight: all[start + 3])
        ))
    }
    candidates.sort { $0.distance != $1.distance ? $0.distance > $1.distance : $0.row < $1.row }
    return candidates.prefix(count).map(\.candidate)
  }

  func checkInitialized() throws {
    guard initialized else {
      throw KMeansError.invalidConfiguration(
        "the trainer has \(clusters.rowCount) of \(clusterCount) centers: call initialize(with:) first"
      )
    }
  }

}

/// What one step of the engine did, summed over all workers.
struct StepResult: Sendable {
  /// Σ wᵢ·distanceᵢ before the update.
  var loss: Double
  /// Rows whose label changed (every row on a worker's first pass).
  var changedLabels: Int
  /// Rows whose every distance was computed (all rows without bounds).
  var reassignedRows: Int
  /// Σⱼ ‖cⱼ − cⱼ′‖² of the update.
  var centerShift: Double
  /// Empty clusters moved to far points.
  var relocatedClusters: Int
  /// Whether the two-copy sync ran at the start (mini-batch).
  var syncRanAtStart: Bool
  /// Whether any worker asked to stop.
  var stopRequested: Bool
  /// Σ wᵢ of the step's rows.
  var totalWeight: Double
}

/// A point that may re-seed an empty cluster: how far it is from its center, its cluster, its
/// values.
package struct RelocationCandidate: Sendable {
  package var distance: Double
  package var label: Int
  package var values: [Double]
  /// The point's sample weight.
  package var weight: Double

  package init(distance: Double, label: Int, values: [Double], weight: Double = 1) {
    self.distance = distance
    self.label = label
    self.values = values
    self.weight = weight
  }
}
