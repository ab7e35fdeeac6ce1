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
  /// Default: nil, automatic — 256 × k rows, fewer where seeding them would cost more than
  /// full-batch seeding's budget (``KMeansConfiguration/seedingSampleSize``), never fewer than
  /// scikit-learn's 3 × max(batchSize, k), at most all rows. scikit-learn's `init_size` of
  /// 3 × max(batchSize, k) on well-separated blobs (100k×32, k = 64) missed a cluster in 4 of 6
  /// seeds, ending at 1.25–1.31× the full-batch inertia; with 256 rows per cluster every seed
  /// ended within 0.01 % of it. On 20,000 unit rows of 384 columns at k = 100, seeding 256 × k rows
  /// (all of them) took 0.24 s of a 0.37 s run; the budget keeps it to 3,072 rows. Set
  /// 3 × max(batchSize, k) for scikit-learn's figure.
  public var initializationSize: Int? = nil

  /// The rows seeded from when ``initializationSize`` is nil: 256 × k, or fewer when seeding
  /// them costs more than full-batch seeding's automatic budget, never fewer than
  /// 3 × max(batchSize, k).
  func automaticInitializationSize(rowCount n: Int, clusterCount k: Int, columnCount d: Int)
    -> Int
  {
    let budget =
      KMeansConfiguration.automaticSeedingSample(rowCount: n, clusterCount: k, columnCount: d)
      ?? n
    return max(3 * max(batchSize, k), min(256 * k, budget))
  }

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

/// Mini-batch k-means for batches that arrive one at a time (``partialFit(_:weights:)``):
/// TensorFlow's update rule in a ``KMeansTrainer``, with scikit-learn's counts and
/// reassignment of starved centers. For data you have whole — in memory or in a file — set
/// ``KMeansConfiguration/miniBatch`` and call `KMeansModel.fit(_:weights:configuration:observer:)`:
/// the engine's mini-batch loop with epochs, seeded shuffling and early stopping.
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
  public var reassignedCenters: Int { state.reassignedCenters }

  private var state = LoopState()

  /// A model with no centers; the first batches initialize it.
  public init(configuration: KMeansConfiguration, miniBatch: MiniBatchConfiguration = .init())
    throws
  {
    var settings = configuration
    settings.miniBatch = miniBatch
    try settings.validate()
    self.configuration = settings
    self.miniBatch = miniBatch
    self.trainer = try KMeansTrainer(
      configuration: settings,
      mode: .miniBatch(stepsPerIteration: miniBatch.stepsPerIteration))
  }

  /// The current centers as a model.
  public var model: KMeansModel<Scalar> { trainer.model }

  /// Online training resumed from the state an earlier instance reached (a binding that keeps
  /// the state between calls): the centers, the running weight of each center, the steps
  /// taken, and the reassignment counters of ``onlineState``.
  /// - Throws: ``KMeansError`` for an invalid configuration or state of the wrong shape.
  package init(
    configuration: KMeansConfiguration, miniBatch: MiniBatchConfiguration,
    centers: Matrix<Scalar>, state: OnlineState
  ) throws {
    try self.init(configuration: configuration, miniBatch: miniBatch)
    guard state.steps >= 0, state.rowsSinceReassignment >= 0, state.reassignedCenters >= 0,
      state.weightTotals.allSatisfy({ $0.isFinite && $0 >= 0 })
    else {
      throw KMeansError.invalidConfiguration(
        "the online state has a negative or non-finite count, weight or step")
    }
    try trainer.restore(
      clusters: centers, counts: nil, clustersUpdated: nil, updateInSteps: nil,
      globalStep: state.steps, weightTotals: state.weightTotals)
    self.state.rowsSinceReassignment = state.rowsSinceReassignment
    self.state.reassignedCenters = state.reassignedCenters
  }

  /// What online training carries between calls besides the centers.
  package struct OnlineState: Sendable {
    /// The running weight of each center.
    package var weightTotals: [Double]
    /// Steps taken.
    package var steps: Int64
    /// Rows seen since starved centers were last checked.
    package var rowsSinceReassignment: Int
    /// Centers reassigned so far.
    package var reassignedCenters: Int

    /// A state with every field given.
    package init(
      weightTotals: [Double], steps: Int64, rowsSinceReassignment: Int, reassignedCenters: Int
    ) {
      self.weightTotals = weightTotals
      self.steps = steps
      self.rowsSinceReassignment = rowsSinceReassignment
      self.reassignedCenters = reassignedCenters
    }
  }

  /// The state to resume from with ``init(configuration:miniBatch:centers:state:)``.
  package var onlineState: OnlineState {
    OnlineState(
      weightTotals: trainer.weightTotals, steps: trainer.globalStep,
      rowsSinceReassignment: state.rowsSinceReassignment,
      reassignedCenters: state.reassignedCenters)
  }

  /// Trains on one batch: the first batches initialize the centers (until `k` exist), every
  /// later batch is one step of the engine, followed by the reassignment of starved centers.
  /// - Returns: the step's output, or nil when the batch went to initialization.
  /// - Parameters:
  ///   - batch: the batch's rows.
  ///   - weights: one sample weight per row of the batch, or nil for 1 each.
  @discardableResult
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public mutating func partialFit(_ batch: Matrix<Scalar>, weights: [Double]? = nil) throws
    -> StepOutput<Scalar>?
  {
    let prepared = try PreparedData(
      batch, metric: configuration.metric, threadCount: configuration.resolvedThreadCount,
      weights: weights)
    if !trainer.initialized {
      _ = try trainer.initialize(prepared: prepared)
      return nil
    }
    var rows = MemoryRows(prepared)
    var assigner = Assigner<Scalar>(rowCount: prepared.rowCount, bounded: false)
    let result = try trainer.step(over: &rows, assigner: &assigner)
    rowsSeen += batch.rowCount
    let loop = TrainingLoop<Scalar>(configuration: configuration)
    try loop.reassignStarvedCenters(
      &trainer, state: &state, batch: prepared, globalBatchRows: prepared.rowCount,
      batchOffset: 0, miniBatch: miniBatch, step: trainer.globalStep)
    return StepOutput(
      shards: [
        ShardStepOutput(
          clusterIndices: assigner.buffers.labels.map(Int.init),
          scores: assigner.buffers.distances, allScores: nil)
      ], loss: result.loss, centerShift: result.centerShift, relocatedClusters: 0,
      syncRanAtStart: result.syncRanAtStart)
  }
}
