import Foundation
import KMeansKernels

/// Settings of mini-batch training around TensorFlow's update rule, with scikit-learn's
/// `MiniBatchKMeans` conveniences. Every field has a documented default.
public struct MiniBatchConfiguration: Sendable, Equatable {
  /// Rows per step. Default: 1024 (scikit-learn's).
  public var batchSize: Int = 1024
  /// TensorFlow's `mini_batch_steps_per_iteration`: 1 updates the centers in place (Sculley);
  /// S > 1 updates a second copy that replaces the assigning centers every S steps.
  /// Default: 1.
  public var stepsPerIteration: Int = 1
  /// The most passes over the data. Default: 100 (scikit-learn's `max_iter`).
  public var epochs: Int = 100
  /// Stop after this many consecutive steps without improvement of the smoothed batch loss
  /// (an exponentially weighted average of the per-row batch loss with weight
  /// α = min(1, 2·batchSize/(n + 1)), as scikit-learn). nil: never. Default: 10.
  public var maxNoImprovement: Int? = 10
  /// A center whose count falls below this fraction of the largest count is moved to a random
  /// row of the batch, checked every 10·k rows seen or whenever a center has no point
  /// (scikit-learn's rule; one step per iteration only). 0 turns it off. Default: 0.01.
  public var reassignmentRatio: Double = 0.01
  /// Rows sampled (seeded, without replacement) to choose the initial centers from.
  /// Default: nil, 3 × max(batchSize, k) as scikit-learn's `init_size`.
  public var initializationSize: Int? = nil

  /// Every field at its default.
  public init() {}

  /// Checks the fields.
  /// - Throws: ``KMeansError/invalidConfiguration(_:)`` naming the field.
  public func validate() throws {
    func fail(_ message: String) throws -> Never { throw KMeansError.invalidConfiguration(message) }
    if batchSize <= 0 { try fail("batchSize=\(batchSize) must be at least 1") }
    if stepsPerIteration <= 0 {
      try fail("stepsPerIteration=\(stepsPerIteration) must be at least 1")
    }
    if epochs <= 0 { try fail("epochs=\(epochs) must be at least 1") }
    if let maxNoImprovement, maxNoImprovement <= 0 {
      try fail("maxNoImprovement=\(maxNoImprovement) must be at least 1")
    }
    if !(reassignmentRatio >= 0) || !reassignmentRatio.isFinite {
      try fail("reassignmentRatio=\(reassignmentRatio) must be finite and >= 0")
    }
    if let initializationSize, initializationSize <= 0 {
      try fail("initializationSize=\(initializationSize) must be at least 1")
    }
  }
}

/// Mini-batch k-means for data in memory (`fit(_:weights:configuration:miniBatch:progress:isCancelled:)`) and
/// for streams (``partialFit(_:weights:)``): TensorFlow's update rule in a ``KMeansTrainer``, with
/// scikit-learn's epochs, seeded shuffling, early stopping and reassignment of starved centers.
///
/// ```swift
/// var stream = try MiniBatchKMeans<Float>(configuration: .init(clusterCount: 100))
/// for batch in batches { try stream.partialFit(batch) }
/// let labels = try stream.model.predict(points)
/// ```
public struct MiniBatchKMeans<Scalar: KMeansScalar>: Sendable {
  /// The cluster count, initialization, metric, seed, threads and `tfCompat`.
  public let configuration: KMeansConfiguration
  /// The mini-batch settings.
  public let miniBatch: MiniBatchConfiguration
  /// The stepwise engine, with TensorFlow's state.
  public internal(set) var trainer: KMeansTrainer<Scalar>
  /// Rows seen by training steps.
  public private(set) var rowsSeen = 0
  /// Centers moved by reassignment so far.
  public private(set) var reassignedCenters = 0

  private var random: RandomSource
  private var rowsSinceReassignment = 0

  /// A model with no centers; the first batches initialize it.
  public init(configuration: KMeansConfiguration, miniBatch: MiniBatchConfiguration = .init())
    throws
  {
    try miniBatch.validate()
    self.configuration = configuration
    self.miniBatch = miniBatch
    self.trainer = try KMeansTrainer(
      configuration: configuration,
      mode: .miniBatch(stepsPerIteration: miniBatch.stepsPerIteration))
    // A stream of its own, apart from the initializer's.
    self.random = RandomSource(seed: configuration.seed, stream: -1)
  }

  /// The current centers as a model.
  public var model: KMeansModel<Scalar> { trainer.model }

  /// Trains on one batch: the first batches initialize the centers (until `k` exist), every
  /// later batch is one step.
  /// - Returns: the step's output, or nil when the batch went to initialization.
  /// - Parameter weights: one sample weight per row of the batch, or nil for 1 each.
  @discardableResult
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public mutating func partialFit(_ batch: Matrix<Scalar>, weights: [Double]? = nil) throws
    -> StepOutput<Scalar>?
  {
    let prepared = try PreparedData(
      batch, metric: configuration.metric, threadCount: threadCount, weights: weights)
    if !trainer.initialized {
      _ = try trainer.initialize(prepared: prepared)
      return nil
    }
    guard batch.columnCount == trainer.clusters.columnCount else {
      throw KMeansError.dimensionMismatch(
        expected: trainer.clusters.columnCount, actual: batch.columnCount, context: "the centers")
    }
    return step(prepared)
  }

  var threadCount: Int {
    configuration.threadCount ?? ProcessInfo.processInfo.activeProcessorCount
  }

  /// One step on a validated batch, then reassignment of starved centers when due.
  mutating func step<Data: ClusterableData<Scalar>>(_ batch: Data) -> StepOutput<Scalar> {
    // swift-format-ignore: NeverUseForceTry
    let (assignments, output) = try! trainer.step(prepared: [batch])
    var result = output
    result.shards = [
      ShardStepOutput(
        clusterIndices: assignments[0].labels.map(Int.init), scores: assignments[0].distances,
        allScores: nil)
    ]
    rowsSeen += batch.rowCount
    rowsSinceReassignment += batch.rowCount
    reassignStarvedCenters(from: batch)
    return result
  }

  /// scikit-learn's rule: every 10·k rows, or as soon as a center has a zero count, centers
  /// whose count is below `reassignmentRatio` × the largest count move to random distinct rows
  /// of the batch (at most half the batch), and their counts become the smallest count kept.
  mutating func reassignStarvedCenters<Data: ClusterableData<Scalar>>(from batch: Data) {
    let k = trainer.clusterCount
    guard miniBatch.reassignmentRatio > 0, miniBatch.stepsPerIteration == 1 else { return }
    guard trainer.weightTotals.contains(0) || rowsSinceReassignment >= 10 * k else { return }
    rowsSinceReassignment = 0
    let counts = trainer.weightTotals
    let threshold = miniBatch.reassignmentRatio * Double(counts.max() ?? 0)
    var starved = (configuration.frozenCenterCount..<k).filter { Double(counts[$0]) < threshold }
    let limit = batch.rowCount / 2
    if starved.count > limit {
      starved = Array(starved.sorted { (counts[$0], $0) < (counts[$1], $1) }.prefix(limit)).sorted()
    }
    guard !starved.isEmpty else { return }
    let kept = (0..<k).filter { !starved.contains($0) }.map { counts[$0] }
    let rows = batch.randomDistinctRows(count: starved.count, random: &random)
    trainer.replaceCenters(starved, with: batch.rowsMatrix(rows), count: kept.min() ?? 1)
    reassignedCenters += starved.count
  }
}

extension MiniBatchKMeans {
  /// Trains on `data` in memory: centers from a seeded sample of ``MiniBatchConfiguration/initializationSize``
  /// rows (the best of `configuration.restarts` seedings, judged by inertia on the sample), then epochs of seeded shuffled batches until `epochs` run out or the smoothed batch
  /// loss stops improving for `maxNoImprovement` steps; finally one full assignment gives the
  /// labels and inertia.
  ///
  /// The same seed gives the same bits on any thread count.
  /// - Parameters:
  ///   - weights: one sample weight per row (finite, ≥ 0, not all zero), or nil for 1 each:
  ///     each center moves by its batch's weighted sum and keeps a running weight, as
  ///     scikit-learn's `MiniBatchKMeans(sample_weight=)`; seeding draws rows ∝ weight.
  ///   - progress: called after every step with the step number (1-based) and output.
  ///   - isCancelled: checked after every step; true stops training with
  ///     ``StopReason/cancelled``, keeping the centers reached.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func fit(
    _ data: Matrix<Scalar>, weights: [Double]? = nil, configuration: KMeansConfiguration,
    miniBatch: MiniBatchConfiguration = .init(),
    progress: ((Int, StepOutput<Scalar>) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansFitResult<Scalar> {
    let state = try MiniBatchKMeans(configuration: configuration, miniBatch: miniBatch)
    let prepared = try PreparedData(
      data, metric: configuration.metric, threadCount: state.threadCount, weights: weights)
    return try state.fit(prepared: prepared, progress: progress, isCancelled: isCancelled)
  }

  /// Mini-batch training on validated data, dense or sparse (see
  /// ``fit(_:weights:configuration:miniBatch:progress:isCancelled:)``).
  func fit<Data: ClusterableData<Scalar>>(
    prepared: Data, progress: ((Int, StepOutput<Scalar>) -> Void)?,
    isCancelled: (() -> Bool)?
  ) throws -> KMeansFitResult<Scalar> {
    var state = self
    let configuration = self.configuration
    let miniBatch = self.miniBatch
    let n = prepared.rowCount
    let k = configuration.effectiveClusterCount
    let distinct = prepared.distinctRowCount(upTo: k)
    guard distinct >= k else {
      throw KMeansError.tooFewDistinctPoints(distinct: distinct, clusterCount: k)
    }

    // Initialization on a seeded sample.
    let sampleSize = min(n, max(miniBatch.initializationSize ?? 3 * max(miniBatch.batchSize, k), k))
    var sampling = RandomSource(seed: configuration.seed, stream: -2)
    let sample =
      sampleSize == n
      ? prepared
      : prepared.gathered(prepared.randomDistinctRows(count: sampleSize, random: &sampling))
    // With restarts, keep the seeding with the lowest inertia on the sample (scikit-learn
    // judges its `n_init` seedings the same way).
    var bestInertia = Double.infinity
    for restart in 0..<configuration.restarts {
      var candidate = try KMeansTrainer<Scalar>(
        configuration: configuration,
        mode: .miniBatch(stepsPerIteration: miniBatch.stepsPerIteration), restart: restart)
      try candidate.initializeFully(from: sample)
      let inertia =
        configuration.restarts == 1
        ? 0 : sample.assign(to: PreparedCenters(candidate.model.centers), previous: nil).loss
      if inertia < bestInertia {
        bestInertia = inertia
        state.trainer = candidate
      }
    }

    let batchSize = min(miniBatch.batchSize, n)
    var log = MiniBatchLog(batchSize: batchSize, rowCount: n, limit: miniBatch.maxNoImprovement)
    var order = Array(0..<n)
    training: for _ in 0..<miniBatch.epochs {
      // Seeded Fisher–Yates shuffle of the row order for this epoch.
      for index in stride(from: n - 1, to: 0, by: -1) {
        order.swapAt(index, sampling.nextIndex(below: index + 1))
      }
      var start = 0
      while start < n {
        let started = DispatchTime.now().uptimeNanoseconds
        let rows = Array(order[start..<min(n, start + batchSize)])
        start += batchSize
        let output = state.step(prepared.gathered(rows))
        let stop = log.record(output, rows: rows.count, since: started)
        progress?(log.steps, output)
        if stop { break training }
        if isCancelled?() == true {
          log.cancel()
          break training
        }
      }
    }
    let model = state.trainer.model
    let final = prepared.assign(to: PreparedCenters(model.centers), previous: nil)
    let fitted = KMeansModel(
      centers: model.centers, metric: configuration.metric, inertia: final.loss,
      iterationCount: log.steps, stopReason: log.stopReason,
      iterationStatistics: log.statistics)
    return KMeansFitResult(
      model: fitted, labels: final.labels.map(Int.init), distances: final.distances)
  }
}

/// The record of mini-batch steps, with scikit-learn's early stopping: an exponentially
/// weighted average of the per-row batch loss, α = min(1, 2·batchSize/(n + 1)), and a count of
/// steps since it last improved.
package struct MiniBatchLog: Sendable {
  var alpha: Double
  let batchSize: Int
  let limit: Int?
  var smoothed: Double? = nil
  var best = Double.infinity
  var withoutImprovement = 0
  /// One record per step.
  package private(set) var statistics: [IterationStatistics] = []
  /// Why training stopped (`.maxIterations` until early stopping triggers).
  package private(set) var stopReason = StopReason.maxIterations
  /// Steps recorded.
  package var steps: Int { statistics.count }

  /// A log for batches of `batchSize` out of `rowCount` rows (nil: unknown, α = 0.01).
  package init(batchSize: Int, rowCount: Int?, limit: Int?) {
    self.alpha = rowCount.map { min(1, 2 * Double(batchSize) / Double($0 + 1)) } ?? 0.01
    self.batchSize = batchSize
    self.limit = limit
  }

  /// Sets the data size once it is known (after a first pass over a stream of unknown length).
  package mutating func setRowCount(_ rowCount: Int) {
    alpha = min(1, 2 * Double(batchSize) / Double(rowCount + 1))
  }

  /// Marks the training as stopped by the caller.
  package mutating func cancel() { stopReason = .cancelled }

  /// Records one step that started at `started` (`DispatchTime` nanoseconds); true when
  /// `limit` steps in a row brought no improvement.
  package mutating func record(
    _ output: StepOutput<some KMeansScalar>, rows: Int, since started: UInt64
  )
    -> Bool
  {
    statistics.append(
      IterationStatistics(
        iteration: statistics.count + 1, loss: output.loss, centerShift: output.centerShift,
        relocatedClusters: 0, changedLabels: rows,
        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
    let perRow = output.loss / Double(max(1, rows))
    let average = smoothed.map { $0 * (1 - alpha) + perRow * alpha } ?? perRow
    smoothed = average
    if average < best {
      best = average
      withoutImprovement = 0
    } else {
      withoutImprovement += 1
    }
    guard let limit, withoutImprovement >= limit else { return false }
    stopReason = .noImprovement
    return true
  }
}
