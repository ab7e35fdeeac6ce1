import Foundation
import KMeansKernels

extension KMeansModel {
  /// Clusters `data`: Lloyd's algorithm (full batch), or mini-batch training when
  /// `configuration.miniBatch` is set, after `configuration.restarts` initialisations; the
  /// run with the lowest inertia wins.
  ///
  /// Each iteration assigns every row to its nearest center (E-step; every distance, or
  /// Hamerly's exact bounds, see ``LloydAlgorithm``), then moves each center to the mean of its
  /// rows (M-step; renormalised under cosine), relocating empty clusters to the farthest
  /// points. A run stops when the labels stop changing, when the center shift
  /// Σⱼ‖cⱼ − cⱼ′‖² falls to `tolerance` × the mean feature variance, when the relative loss
  /// change falls below `relativeTolerance`, or after `maxIterations`. After a tolerance stop
  /// the labels are recomputed for the final centers.
  ///
  /// The result is bit-identical for any `threadCount` and the same seed, and the same as
  /// the same rows streamed (``StreamingKMeans``), trained in a model directory or spread
  /// over MPI ranks.
  ///
  /// With `weights`, each row counts wᵢ times: centers are weighted means Σwᵢxᵢ/Σwᵢ, the
  /// inertia is Σwᵢ·d(xᵢ, c), and seeding draws rows ∝ weight (scikit-learn's
  /// `sample_weight`). Integer weights give the same result as repeating rows.
  ///
  /// - Parameters:
  ///   - data: `rowCount × dimension`, row-major.
  ///   - weights: one sample weight per row (finite, ≥ 0, not all zero), or nil for 1 each.
  ///   - configuration: every training setting (k, seeding, metric, algorithm, tolerances,
  ///     restarts, seed, threads, and `miniBatch` for mini-batch).
  ///   - progress: called after every iteration (mini-batch: every step), from the calling
  ///     thread.
  ///   - isCancelled: checked after every iteration; when it returns true the run stops with
  ///     ``StopReason/cancelled`` and returns the model reached so far (best restart so far).
  /// - Throws: ``KMeansError`` for invalid configuration, empty or non-finite data, a zero
  ///   row under cosine, fewer distinct rows than clusters, mis-shaped given centers, or bad
  ///   weights (``KMeansError/invalidWeight(row:value:)``, all zero, wrong count).
  /// - Complexity: O(iterations × n × k × d) time; O(n + k × d) memory beyond the data
  ///   (a normalised copy of the data under cosine).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func fit(
    _ data: Matrix<Scalar>, weights: [Double]? = nil, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansFitResult<Scalar> {
    try configuration.validate()
    return try fitInMemory(
      PreparedData(
        data, metric: configuration.metric, threadCount: configuration.resolvedThreadCount,
        weights: weights), configuration: configuration, progress: progress,
      isCancelled: isCancelled)
  }

  /// The in-memory driver of dense and sparse `fit`: the one loop on one worker.
  static func fitInMemory<Data: ClusterableData<Scalar>>(
    _ prepared: Data, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)? = nil,
    stepProgress: ((Int, StepOutput<Scalar>) -> Void)? = nil, isCancelled: (() -> Bool)?
  ) throws -> KMeansFitResult<Scalar> {
    var loop = TrainingLoop<Scalar>(configuration: configuration)
    loop.progress = progress
    loop.stepProgress = stepProgress
    loop.isCancelled = isCancelled
    return try loop.fitInMemory(prepared)
  }
}

extension KMeansConfiguration {
  /// `threadCount`, or one per active core.
  var resolvedThreadCount: Int { threadCount ?? ProcessInfo.processInfo.activeProcessorCount }
}

extension TrainingLoop {
  /// Trains on data in memory (dense or sparse) on one worker: checks there are enough
  /// distinct rows, then full batch or mini-batch.
  func fitInMemory<Data: ClusterableData<Scalar>>(_ prepared: Data) throws -> KMeansFitResult<
    Scalar
  > {
    let k = configuration.effectiveClusterCount
    let distinct = prepared.distinctRowCount(upTo: k)
    guard distinct >= k else {
      throw KMeansError.tooFewDistinctPoints(distinct: distinct, clusterCount: k)
    }
    // The loop refuses maxPointsPerCenter (other drivers cannot sample); here it is applied.
    var loop = self
    loop.configuration.maxPointsPerCenter = nil
    let n = prepared.rowCount
    // n > k·m, written so that a huge m cannot overflow.
    if let perCenter = configuration.maxPointsPerCenter, perCenter <= (n - 1) / k {
      // FAISS's max_points_per_centroid: train on a sample, then assign every row.
      let sample = prepared.gathered(
        Self.uniformSample(of: k * perCenter, from: n, seed: configuration.seed))
      var rows = MemoryRows(sample)
      let result = try loop.train(&rows)
      let assignment = prepared.assign(to: prepared.prepareCenters(result.model.centers))
      var model = result.model
      model.inertia = assignment.loss
      return KMeansFitResult(
        model: model, labels: assignment.labels.map(Int.init), distances: assignment.distances)
    }
    var rows = MemoryRows(prepared)
    let result = try loop.train(&rows)
    return KMeansFitResult(
      model: result.model, labels: result.labels.map(Int.init), distances: result.distances)
  }

  /// `count` distinct rows of `n`, drawn uniformly from `seed` (a partial Fisher–Yates
  /// shuffle), in increasing order.
  static func uniformSample(of count: Int, from n: Int, seed: UInt64) -> [Int] {
    var random = RandomSource(seed: seed, stream: 0x5A4D_504C)
    var order = Array(0..<n)
    for position in 0..<count {
      order.swapAt(position, position + random.nextIndex(below: n - position))
    }
    return order[0..<count].sorted()
  }
}
