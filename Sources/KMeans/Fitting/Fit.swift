import Foundation
import KMeansKernels

extension KMeansModel {
  /// Clusters `data` — dense or sparse rows in memory, or a source read a batch at a time —
  /// with Lloyd's algorithm (full batch), or mini-batch training when
  /// `configuration.miniBatch` is set, after `configuration.restarts` initialisations; the run
  /// with the lowest inertia wins.
  ///
  /// Each iteration assigns every row to its nearest center (E-step; every distance, or
  /// Hamerly's or Yinyang's exact bounds, see ``LloydAlgorithm``), then moves each center to the
  /// mean of its rows (M-step; renormalised under cosine), relocating empty clusters to the
  /// farthest points. A run stops when the labels stop changing, when the center shift
  /// Σⱼ‖cⱼ − cⱼ′‖² falls to `tolerance` × the mean feature variance, when the relative loss
  /// change falls below `relativeTolerance`, or after `maxIterations`. After a tolerance stop
  /// the labels are recomputed for the final centers.
  ///
  /// The result is bit-identical for any `threadCount` and the same seed, and the same for
  /// the same rows dense or sparse, in memory or streamed, trained in a model directory or
  /// (up to the order of sums) spread over MPI ranks. A stream is read one piece of 65,536 rows
  /// at a time, one pass per iteration: memory holds a piece, the seeding sample, O(k·d) and 8
  /// bytes per row (each row's label and distance).
  ///
  /// With `weights`, each row counts wᵢ times: centers are weighted means Σwᵢxᵢ/Σwᵢ, the
  /// inertia is Σwᵢ·d(xᵢ, c), and seeding draws rows ∝ weight (scikit-learn's
  /// `sample_weight`). Integer weights give the same result as repeating rows.
  ///
  /// ```swift
  /// let result = try KMeansModel.fit(points, configuration: KMeansConfiguration(clusterCount: 8))
  /// let topics = try KMeansModel.fit(tfidf, configuration: .init(clusterCount: 20))   // sparse
  /// var reader = try NumPyBatchReader<Float>(path: "huge.npy")
  /// let streamed = try KMeansModel.fit(reader, configuration: .init(clusterCount: 256))
  /// ```
  ///
  /// - Parameters:
  ///   - data: a ``Matrix``, a ``SparseMatrix``, or a ``BatchSource`` / ``SparseBatchSource``
  ///     (rewound for every pass).
  ///   - weights: one sample weight per row (finite, ≥ 0, not all zero), or nil for 1 each; a
  ///     source carries its own (``WeightedBatches``).
  ///   - configuration: every training setting (k, seeding, metric, algorithm, tolerances,
  ///     restarts, seed, threads, and `miniBatch` for mini-batch).
  ///   - observer: progress after every iteration (mini-batch: every step), and cancellation.
  /// - Returns: the model (with per-iteration statistics), every row's label and its distance
  ///   to its center.
  /// - Throws: ``KMeansError`` for invalid configuration, empty or non-finite data (naming the
  ///   row), a zero row under cosine, fewer distinct rows than clusters, mis-shaped given
  ///   centers, or bad weights (``KMeansError/invalidWeight(row:value:)``, all zero, wrong
  ///   count, weights given beside a source).
  /// - Complexity: O(iterations × n × k × d) time; O(n + k × d) memory beyond the data in
  ///   memory (a normalised copy of the data under cosine).
  public static func fit<Data: KMeansTrainable>(
    _ data: Data, weights: [Double]? = nil, configuration: KMeansConfiguration,
    observer: TrainingObserver = TrainingObserver()
  ) throws -> KMeansFitResult<Scalar> where Data.Scalar == Scalar {
    try configuration.validate()
    let threads = configuration.resolvedThreadCount
    let metric = configuration.metric
    let rows = data.trainingRows
    try rows.refuseWeightsBesideStream(weights)
    switch rows {
    case .dense(let matrix):
      return try fitInMemory(
        PreparedData(matrix, metric: metric, threadCount: threads, weights: weights),
        configuration: configuration, progress: observer.progress,
        isCancelled: observer.isCancelled)
    case .sparse(let matrix):
      return try fitInMemory(
        SparseData(matrix, metric: metric, threadCount: threads, weights: weights),
        configuration: configuration, progress: observer.progress,
        isCancelled: observer.isCancelled)
    case .compact(let matrix):
      var rows = try CompactRows(matrix, weights: weights, metric: metric, threadCount: threads)
      return try fitCompact(&rows, configuration: configuration, observer: observer)
    case .stream(let source):
      var rows = StreamRows(source, metric: metric, threadCount: threads)
      return try fitPieces(&rows, configuration: configuration, observer: observer)
    case .sparseStream(let source):
      var rows = StreamRows(sparse: source, metric: metric, threadCount: threads)
      return try fitPieces(&rows, configuration: configuration, observer: observer)
    }
  }

  /// The driver of `fit` over rows read a piece at a time (a stream, or compact rows): the one
  /// loop.
  static func fitPieces<Rows: RowSource>(
    _ rows: inout Rows, configuration: KMeansConfiguration, observer: TrainingObserver
  ) throws -> KMeansFitResult<Scalar> where Rows.Data.Scalar == Scalar {
    var loop = TrainingLoop<Scalar>(configuration: configuration)
    loop.progress = observer.progress
    loop.isCancelled = observer.isCancelled
    let result = try loop.train(&rows)
    return KMeansFitResult(
      model: result.model, labels: result.labels.map(Int.init), distances: result.distances)
  }

  /// The driver of `fit` on a ``CompactMatrix``: the one loop over its rows widened a piece at
  /// a time; with `maxPointsPerCenter`, on a uniform sample widened whole, then every row
  /// assigned (as ``fitInMemory(_:configuration:progress:stepProgress:isCancelled:)`` does).
  static func fitCompact(
    _ rows: inout CompactRows<Scalar>, configuration: KMeansConfiguration,
    observer: TrainingObserver
  ) throws -> KMeansFitResult<Scalar> {
    let n = rows.matrix.rowCount
    let k = configuration.effectiveClusterCount
    var loop = TrainingLoop<Scalar>(configuration: configuration)
    loop.configuration.maxPointsPerCenter = nil
    // n > k·m, written so that a huge m cannot overflow.
    guard let perCenter = configuration.maxPointsPerCenter, perCenter <= (n - 1) / k else {
      return try fitPieces(&rows, configuration: loop.configuration, observer: observer)
    }
    loop.progress = observer.progress
    loop.isCancelled = observer.isCancelled
    // FAISS's max_points_per_centroid: train on a sample, then assign every row.
    let sampled = TrainingLoop<Scalar>.uniformSample(
      of: k * perCenter, from: n, seed: configuration.seed)
    guard let sample = try rows.fetchRows(sampled) else {
      throw KMeansError.emptyInput("no rows")
    }
    let distinct = sample.distinctRowCount(upTo: k)
    guard distinct >= k else {
      throw KMeansError.tooFewDistinctPoints(distinct: distinct, clusterCount: k)
    }
    var sampleRows = MemoryRows(sample)
    let result = try loop.train(&sampleRows)
    let (labels, distances, inertia) = try loop.finalAssignment(&rows, trainer: result.trainer)
    var model = result.model
    model.inertia = inertia
    return KMeansFitResult(model: model, labels: labels.map(Int.init), distances: distances)
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
