import Foundation
import KMeansKernels

extension KMeansModel {
  /// Clusters `data` with Lloyd's algorithm (full batch), after `configuration.restarts`
  /// initialisations; the run with the lowest inertia wins.
  ///
  /// Each iteration assigns every row to its nearest center (E-step), then moves each center
  /// to the mean of its rows (M-step; renormalised under cosine), relocating empty clusters to
  /// the farthest points. A run stops when the labels stop changing, when the center shift
  /// Σⱼ‖cⱼ − cⱼ′‖² falls to `tolerance` × the mean feature variance, when the relative loss
  /// change falls below `relativeTolerance`, or after `maxIterations`. After a tolerance stop
  /// the labels are recomputed for the final centers.
  ///
  /// The result is bit-identical for any `threadCount` and the same seed.
  ///
  /// With `weights`, each row counts wᵢ times: centers are weighted means Σwᵢxᵢ/Σwᵢ, the
  /// inertia is Σwᵢ·d(xᵢ, c), and k-means++/AFK-MC²/k-MC²/random seeding draw rows ∝ weight
  /// (scikit-learn's `sample_weight`). Integer weights give the same result as repeating rows.
  ///
  /// - Parameters:
  ///   - data: `rowCount × dimension`, row-major.
  ///   - weights: one sample weight per row (finite, ≥ 0, not all zero), or nil for 1 each.
  ///   - progress: called after every iteration (from the calling thread).
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
    let threads = configuration.threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    let prepared = try PreparedData(
      data, metric: configuration.metric, threadCount: threads, weights: weights)
    return try fit(
      prepared: prepared, configuration: configuration, progress: progress,
      isCancelled: isCancelled)
  }

  /// Lloyd with restarts on validated data, dense or sparse.
  static func fit<Data: ClusterableData<Scalar>>(
    prepared: Data, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)?, isCancelled: (() -> Bool)?
  ) throws -> KMeansFitResult<Scalar> {
    let k = configuration.effectiveClusterCount
    if case .centers(let given) = configuration.initialization,
      given.columnCount != prepared.columnCount
    {
      throw KMeansError.dimensionMismatch(
        expected: prepared.columnCount, actual: given.columnCount, context: "the initial centers")
    }
    let distinct = prepared.distinctRowCount(upTo: k)
    guard distinct >= k else {
      throw KMeansError.tooFewDistinctPoints(distinct: distinct, clusterCount: k)
    }
    let absoluteTolerance = configuration.tolerance * prepared.meanFeatureVariance()
    var restarts = configuration.restarts
    if case .centers = configuration.initialization { restarts = 1 }

    var best: KMeansFitResult<Scalar>?
    for restart in 0..<restarts {
      var trainer = try KMeansTrainer<Scalar>(
        configuration: configuration, mode: .fullBatch, restart: restart)
      if let sampleSize = configuration.seedingSample(rowCount: prepared.rowCount) {
        var sampling = RandomSource(seed: configuration.seed, stream: -3 - restart)
        let rows = prepared.randomDistinctRows(count: sampleSize, random: &sampling).sorted()
        let sample = prepared.gathered(rows)
        if sample.distinctRowCount(upTo: k) >= k {
          try trainer.initializeFully(from: sample)
        } else {
          try trainer.initializeFully(from: prepared)
        }
      } else {
        try trainer.initializeFully(from: prepared)
      }
      let run = try prepared.lloyd(
        trainer, configuration: configuration, absoluteTolerance: absoluteTolerance,
        progress: progress, isCancelled: isCancelled)
      if best == nil || run.model.inertia < best?.model.inertia ?? .infinity { best = run }
      if run.model.stopReason == .cancelled { break }
    }
    guard let best else { throw KMeansError.invalidConfiguration("restarts must be at least 1") }
    return best
  }
}

extension PreparedData {
  /// The mean over features of the per-feature variance (scikit-learn's tolerance scale).
  func meanFeatureVariance() -> Double {
    let n = points.rowCount
    let d = points.columnCount
    var means = [Double](repeating: 0, count: d)
    var squares = [Double](repeating: 0, count: d)
    points.withUnsafeElements { base in
      for row in 0..<n {
        for column in 0..<d { means[column] += Double(base[row * d + column]) }
      }
      for column in 0..<d { means[column] /= Double(n) }
      for row in 0..<n {
        for column in 0..<d {
          let deviation = Double(base[row * d + column]) - means[column]
          squares[column] += deviation * deviation
        }
      }
    }
    return squares.reduce(0, +) / Double(n * d)
  }

}

extension ClusterableData {
  /// One Lloyd run: full-batch steps of `trainer` until a stopping rule holds.
  func lloyd(
    _ initialized: KMeansTrainer<Scalar>, configuration: KMeansConfiguration,
    absoluteTolerance: Double, progress: ((IterationStatistics) -> Void)?,
    isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansFitResult<Scalar> {
    var trainer = initialized
    var previousLabels: [Int32]? = nil
    var previousLoss: Double? = nil
    var statistics: [IterationStatistics] = []
    var stopReason = StopReason.maxIterations
    var last: Assignment<Scalar>?
    // Hamerly's bounds (dense data, squared Euclidean): the same labels, fewer distances.
    let bounded = configuration.usesBounds ? self as? PreparedData<Scalar> : nil
    var bounds: HamerlyState<Scalar>? = nil
    for iteration in 1...configuration.maxIterations {
      let started = DispatchTime.now().uptimeNanoseconds
      let precomputed = bounded.map {
        [$0.hamerlyAssign(to: trainer.clusters, state: &bounds, previous: previousLabels)]
      }
      let (assignments, output) = try trainer.step(prepared: [self], precomputed: precomputed)
      let current = assignments[0]
      var changed = current.labels.count
      if let previousLabels {
        changed = zip(previousLabels, current.labels).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) }
      }
      last = current
      var record = IterationStatistics(
        iteration: iteration, loss: output.loss, centerShift: output.centerShift,
        relocatedClusters: output.relocatedClusters, changedLabels: changed,
        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
      record.fullyAssignedPoints = bounds?.reassignedRows
      statistics.append(record)
      progress?(record)
      if isCancelled?() == true {
        stopReason = .cancelled
        break
      }
      if previousLabels != nil && changed == 0 {
        stopReason = .labelsUnchanged
        break
      }
      if output.centerShift <= absoluteTolerance {
        stopReason = .centerShiftTolerance
        break
      }
      if let relativeTolerance = configuration.relativeTolerance, let previousLoss,
        abs(output.loss - previousLoss) / (1 + abs(previousLoss)) < relativeTolerance
      {
        stopReason = .relativeLossTolerance
        break
      }
      previousLabels = current.labels
      previousLoss = output.loss
    }
    let centers = trainer.clusters
    // Unless the labels already match the centers, assign once more so that they do.
    var final = last ?? assign(to: PreparedCenters(centers), previous: nil)
    if stopReason != .labelsUnchanged {
      final = assign(to: PreparedCenters(centers), previous: nil)
    }
    let model = KMeansModel(
      centers: centers, metric: metric, inertia: final.loss, iterationCount: statistics.count,
      stopReason: stopReason, iterationStatistics: statistics)
    return KMeansFitResult(
      model: model, labels: final.labels.map(Int.init), distances: final.distances)
  }
}
