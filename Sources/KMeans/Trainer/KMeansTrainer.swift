import Foundation
import KMeansKernels

/// The stepwise k-means engine, with exactly the state of TensorFlow's k-means training
/// graph: `clusters`, `initialized`, the per-center `counts`, `clustersUpdated`,
/// `updateInSteps` and the global step.
///
/// Call ``initialize(with:)`` with batches until it returns true, then `step(on:allScores:)`
/// once per batch (mini-batch) or per pass over the data (full batch). `KMeansModel.fit(_:weights:configuration:progress:isCancelled:)`
/// is a loop over this type.
///
/// ```swift
/// var trainer = KMeansTrainer<Float>(configuration: configuration, mode: .miniBatch(stepsPerIteration: 1))
/// while try !trainer.initialize(with: nextBatch()) {}
/// for _ in 0..<100 { _ = try trainer.step(on: nextBatch()) }
/// let model = trainer.model
/// ```
public struct KMeansTrainer<Scalar: KMeansScalar>: Sendable {
  /// The settings: cluster count, initialization, metric, seed, threads, `tfCompat`.
  public let configuration: KMeansConfiguration
  /// Full batch or mini-batch.
  public let mode: TrainingMode

  /// The centers used for assignment (TensorFlow's `clusters`); fewer than `k` rows until
  /// initialized.
  public private(set) var clusters: Matrix<Scalar>
  /// Whether all `k` centers exist.
  public private(set) var initialized = false
  /// The running count of points per center (mini-batch): starts at one for one step per
  /// iteration, at zero otherwise. With sample weights, the running weight per center,
  /// rounded (the update itself uses the exact weights).
  public var counts: [Int64] { weightTotals.map { Int64($0.rounded()) } }
  /// The running weight per center (the count without weights), used by the mini-batch rule.
  package private(set) var weightTotals: [Double]
  /// The copy of the centers that mini-batch steps update when `stepsPerIteration > 1`; the
  /// same as ``clusters`` otherwise.
  public var clustersUpdated: Matrix<Scalar> { stepsPerIteration > 1 ? updatedCopy : clusters }
  /// Steps left before the next sync of the two copies (mini-batch, `stepsPerIteration > 1`).
  public private(set) var updateInSteps: Int64
  /// Training steps taken.
  public private(set) var globalStep: Int64 = 0

  private var updatedCopy: Matrix<Scalar>
  private var random: RandomSource
  private let threadCount: Int

  /// A trainer with no centers yet.
  /// - Parameter restart: selects an independent random stream (for restarts).
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
    KMeansModel(
      centers: metric == .cosine ? clusters.l2NormalizedRows() : clusters, metric: metric)
  }

  // MARK: Initialization

  /// Chooses centers from one batch; returns whether all `k` now exist.
  ///
  /// Given centers are taken at once. Random initialization takes every row of a batch that
  /// has no more rows than centers still needed. k-means++, k-MC² and AFK-MC² need a batch
  /// with at least as many rows as centers still needed (TensorFlow asserts the same). A
  /// custom initializer may return fewer centers than needed; the next call asks again.
  @discardableResult
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public mutating func initialize(with batch: Matrix<Scalar>) throws -> Bool {
    try initialize(prepared: PreparedData(batch, metric: metric, threadCount: threadCount))
  }

  mutating func initialize<Data: SeedableData<Scalar>>(prepared batch: Data) throws -> Bool {
    if initialized { return true }
    let d = batch.columnCount
    if clusters.rowCount > 0 && clusters.columnCount != d {
      throw KMeansError.dimensionMismatch(
        expected: clusters.columnCount, actual: d, context: "the centers chosen so far")
    }
    let remaining = clusterCount - clusters.rowCount
    let existing = clusters.rowCount > 0 ? clusters : nil
    var initialization = configuration.initialization
    if configuration.tfCompat, initialization == .random { initialization = .randomWithReplacement }
    let new = try batch.initialCenters(
      initialization, count: remaining, existing: existing, random: &random)
    guard new.rowCount <= remaining else {
      throw KMeansError.invalidConfiguration(
        "the initializer returned \(new.rowCount) centers; at most \(remaining) were needed")
    }
    if new.rowCount > 0 {
      guard new.columnCount == d else {
        throw KMeansError.dimensionMismatch(
          expected: d, actual: new.columnCount, context: "the data")
      }
      let added = metric == .cosine ? new.l2NormalizedRows() : new
      clusters = clusters.appendingRows(added)
    }
    initialized = clusters.rowCount == clusterCount
    if initialized { updatedCopy = clusters }
    return initialized
  }

  /// Sets the full state, e.g. from a checkpoint. `clustersUpdated` defaults to `clusters`.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when the shapes disagree with `k`.
  public mutating func restore(
    clusters: Matrix<Scalar>, counts: [Int64]? = nil, clustersUpdated: Matrix<Scalar>? = nil,
    updateInSteps: Int64? = nil, globalStep: Int64 = 0
  ) throws {
    guard clusters.rowCount == clusterCount else {
      throw KMeansError.shapeMismatch(
        "\(clusters.rowCount) centers restored for \(clusterCount) clusters")
    }
    if let counts, counts.count != clusterCount {
      throw KMeansError.shapeMismatch(
        "\(counts.count) counts restored for \(clusterCount) clusters")
    }
    if let clustersUpdated,
      clustersUpdated.rowCount != clusterCount
        || clustersUpdated.columnCount != clusters.columnCount
    {
      throw KMeansError.shapeMismatch("clusters_updated does not have the shape of clusters")
    }
    self.clusters = clusters
    self.updatedCopy = clustersUpdated ?? clusters
    if let counts { self.weightTotals = counts.map(Double.init) }
    if let updateInSteps { self.updateInSteps = updateInSteps }
    self.globalStep = globalStep
    self.initialized = true
  }

  /// Moves the given centers to new positions and sets their counts (mini-batch reassignment).
  mutating func replaceCenters(_ indices: [Int], with rows: Matrix<Scalar>, count: Double) {
    let replacement = metric == .cosine ? rows.l2NormalizedRows() : rows
    for (position, cluster) in indices.enumerated() {
      for column in 0..<clusters.columnCount {
        clusters[cluster, column] = replacement[position, column]
        updatedCopy[cluster, column] = replacement[position, column]
      }
      weightTotals[cluster] = count
    }
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
    let prepared = try shards.map { shard in
      guard shard.columnCount == clusters.columnCount else {
        throw KMeansError.dimensionMismatch(
          expected: clusters.columnCount, actual: shard.columnCount, context: "the centers")
      }
      return try PreparedData(shard, metric: metric, threadCount: threadCount)
    }
    let (assignments, output) = try step(prepared: prepared, allScores: allScores)
    var result = output
    result.shards = zip(assignments, output.shards).map { assignment, shard in
      var shard = shard
      shard.clusterIndices = assignment.labels.map(Int.init)
      shard.scores = assignment.distances
      return shard
    }
    return result
  }

  /// The step on validated shards; returns the raw assignments too (the caller decides what
  /// to convert). `StepOutput.shards` carry only `allScores` here.
  ///
  /// - Parameter precomputed: the shards' assignments to the current centers when the caller
  ///   already has them (Hamerly's bounded E-step, full batch): the step then skips its own.
  mutating func step<Data: ClusterableData<Scalar>>(
    prepared shards: [Data], allScores: Bool = false,
    precomputed: [Assignment<Scalar>]? = nil
  )
    throws -> (
      [Assignment<Scalar>], StepOutput<Scalar>
    )
  {
    try checkInitialized()
    // The assignment uses the centers as they were before any sync at the start of this step.
    let assigning = PreparedCenters(metric == .cosine ? clusters.l2NormalizedRows() : clusters)
    var syncRan = false
    if case .miniBatch(let steps) = mode, steps > 1 {
      if updateInSteps <= 0 {
        updateInSteps = Int64(steps - 1)
        clusters = metric == .cosine ? updatedCopy.l2NormalizedRows() : updatedCopy
        weightTotals = [Double](repeating: 0, count: clusterCount)
        syncRan = true
      } else {
        updateInSteps -= 1
      }
    }
    let assignments = precomputed ?? assign(shards, to: assigning)
    let outputs = shards.map { shard in
      ShardStepOutput<Scalar>(
        clusterIndices: [], scores: [],
        allScores: allScores ? shard.allScoresMatrix(to: assigning) : nil)
    }
    var sums = ClusterSums(clusterCount: clusterCount, dimension: clusters.columnCount)
    let perShardThreads = shards.count >= threadCount ? 1 : threadCount
    for (shard, assignment) in zip(shards, assignments) {
      shard.accumulate(labels: assignment.labels, into: &sums, threadCount: perShardThreads)
    }
    let loss = assignments.reduce(0.0) { $0 + $1.loss }
    var shift = 0.0
    var relocated = 0
    switch mode {
    case .fullBatch:
      (shift, relocated) = fullBatchUpdate(sums, shards: shards, assignments: assignments)
    case .miniBatch:
      shift = miniBatchUpdate(sums)
    }
    globalStep += 1
    return (
      assignments,
      StepOutput(
        shards: outputs, loss: loss, centerShift: shift, relocatedClusters: relocated,
        syncRanAtStart: syncRan)
    )
  }

  func checkInitialized() throws {
    guard initialized else {
      throw KMeansError.invalidConfiguration(
        "the trainer has \(clusters.rowCount) of \(clusterCount) centers: call initialize(with:) first"
      )
    }
  }

  /// Validates `data` (and `weights`), then initializes from it until all centers exist (see
  /// ``initializeFully(from:)``).
  package mutating func initializeFully(with data: Matrix<Scalar>, weights: [Double]? = nil)
    throws
  {
    try initializeFully(
      from: PreparedData(data, metric: metric, threadCount: threadCount, weights: weights))
  }

  /// Initializes from the same data until all centers exist (k-MC² may take fewer than `k`
  /// per call); fails when a call adds nothing.
  mutating func initializeFully<Data: SeedableData<Scalar>>(from data: Data) throws {
    while true {
      let before = clusters.rowCount
      if try initialize(prepared: data) { return }
      if clusters.rowCount == before {
        throw KMeansError.invalidConfiguration(
          "the \(configuration.initialization.name) initializer chose \(before) of \(clusterCount) centers and then no more"
        )
      }
    }
  }

  /// Assigns every shard; with at least as many shards as threads each shard gets its own
  /// worker, otherwise the shards run one after another on every worker. Either way the
  /// results are the same bits.
  func assign<Data: ClusterableData<Scalar>>(_ shards: [Data], to centers: PreparedCenters<Scalar>)
    -> [Assignment<Scalar>]
  {
    guard shards.count > 1, shards.count >= threadCount else {
      return shards.map { $0.assign(to: centers, previous: nil) }
    }
    let slots = UnsafeMutableBufferPointer<Assignment<Scalar>?>.allocate(capacity: shards.count)
    slots.initialize(repeating: nil)
    defer {
      slots.deinitialize()
      slots.deallocate()
    }
    let shared = UnsafeSendable(slots)
    parallelFor(chunkCount: shards.count, threadCount: threadCount) { index, _ in
      shared.value[index] = shards[index].singleThreaded.assign(to: centers, previous: nil)
    }
    return slots.map { $0! }
  }

  /// Lloyd's update: each center becomes the mean of its points.
  ///
  /// By default an empty cluster takes the point farthest from its own center (which leaves
  /// its old cluster) and a cosine mean of zero length keeps the old center. With `tfCompat`,
  /// centers are sums / (count + 1e-6), so an empty cluster becomes the zero vector.
  mutating func fullBatchUpdate<Data: ClusterableData<Scalar>>(
    _ totals: ClusterSums, shards: [Data], assignments: [Assignment<Scalar>]
  ) -> (shift: Double, relocated: Int) {
    let empty =
      configuration.tfCompat
      ? 0 : totals.weights.dropFirst(configuration.frozenCenterCount).filter { $0 == 0 }.count
    let candidates = farthestPoints(assignments.map(\.distances), count: empty).map { point in
      RelocationCandidate(
        distance: Double(point.distance), label: Int(assignments[point.shard].labels[point.row]),
        values: shards[point.shard].rowsMatrix([point.row]).row(0).map(Double.init),
        weight: shards[point.shard].weight(ofRow: point.row))
    }
    let update = Self.centersFromSums(
      totals, old: clusters, relocating: candidates, metric: metric,
      tfCompat: configuration.tfCompat, frozen: configuration.frozenCenterCount)
    clusters = update.centers
    updatedCopy = update.centers
    return (update.centerShift, update.relocatedClusters)
  }

  /// Lloyd's update from per-cluster sums: each center becomes its mean.
  ///
  /// By default an empty cluster (in index order) takes the next of `candidates` (the points
  /// farthest from their centers, farthest first), which leaves its old cluster; a cosine mean
  /// of zero length keeps the old center. With `tfCompat`, centers are sums / (count + 1e-6), so
  /// an empty cluster becomes the zero vector.
  package static func centersFromSums(
    _ totals: ClusterSums, old: Matrix<Scalar>, relocating candidates: [RelocationCandidate],
    metric: DistanceMetric, tfCompat: Bool, frozen: Int = 0
  ) -> (centers: Matrix<Scalar>, centerShift: Double, relocatedClusters: Int) {
    var sums = totals
    let d = old.columnCount
    let k = old.rowCount
    var relocated = 0
    var relocatedTo: [Int: [Double]] = [:]
    if !tfCompat {
      // Frozen clusters are never re-seeded; a cluster is empty when its weight is zero.
      let empty = (frozen..<k).filter { sums.weights[$0] == 0 }
      for (cluster, point) in zip(empty, candidates) {
        for column in 0..<d {
          sums.sums[point.label * d + column] -= point.weight * point.values[column]
          sums.sums[cluster * d + column] = point.weight * point.values[column]
        }
        sums.counts[point.label] -= 1
        sums.weights[point.label] -= point.weight
        sums.counts[cluster] = 1
        sums.weights[cluster] = point.weight
        relocatedTo[cluster] = point.values
        relocated += 1
      }
    }
    var centers = Matrix<Scalar>(zerosWithRowCount: k, columnCount: d)
    for cluster in 0..<k {
      var row: [Double]
      if cluster < frozen {
        for column in 0..<d { centers[cluster, column] = old[cluster, column] }
        continue
      } else if tfCompat {
        let denominator = Double(Float(sums.weights[cluster]) + 1e-6)
        row = (0..<d).map { sums.sums[cluster * d + $0] / denominator }
      } else if sums.weights[cluster] > 0 {
        row = sums.mean(of: cluster)
      } else if let point = relocatedTo[cluster] {
        // Re-seeded with a point of weight zero: the point itself.
        row = point
      } else {
        // Emptied by a relocation: keep the old center.
        row = old.row(cluster).map(Double.init)
      }
      if metric == .cosine {
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 {
          row = row.map { $0 / norm }
        } else if !tfCompat {
          row = old.row(cluster).map(Double.init)
        }
      }
      for column in 0..<d { centers[cluster, column] = Scalar(row[column]) }
    }
    return (centers, squaredShift(from: old, to: centers), relocated)
  }

  /// TensorFlow's mini-batch rule on the updated copy: c ← c + (S − k·c)/(n + k), n ← n + k,
  /// for each center that received k > 0 points summing to S (with sample weights, k is the
  /// weight received and S the weighted sum, as scikit-learn's `MiniBatchKMeans`).
  mutating func miniBatchUpdate(_ batch: ClusterSums) -> Double {
    let d = clusters.columnCount
    var target = stepsPerIteration > 1 ? updatedCopy : clusters
    let before = target
    let renormalise = metric == .cosine && stepsPerIteration == 1 && !configuration.tfCompat
    for cluster in configuration.frozenCenterCount..<clusterCount where batch.weights[cluster] > 0 {
      let received = batch.weights[cluster]
      let denominator = weightTotals[cluster] + received
      var row = (0..<d).map { column -> Double in
        let current = Double(target[cluster, column])
        return current + (batch.sums[cluster * d + column] - received * current) / denominator
      }
      if renormalise {
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { row = row.map { $0 / norm } }
      }
      for column in 0..<d { target[cluster, column] = Scalar(row[column]) }
      weightTotals[cluster] += received
    }
    if stepsPerIteration > 1 { updatedCopy = target } else { clusters = target }
    return Self.squaredShift(from: before, to: target)
  }

  package static func squaredShift(from old: Matrix<Scalar>, to new: Matrix<Scalar>) -> Double {
    var shift = 0.0
    for row in 0..<old.rowCount {
      for column in 0..<old.columnCount {
        let moved = Double(new[row, column]) - Double(old[row, column])
        shift += moved * moved
      }
    }
    return shift
  }
}
