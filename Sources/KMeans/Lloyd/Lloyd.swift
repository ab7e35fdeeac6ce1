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
  /// - Parameters:
  ///   - data: `rowCount × dimension`, row-major.
  ///   - progress: called after every iteration (from the calling thread).
  /// - Throws: ``KMeansError`` for invalid configuration, empty or non-finite data, a zero
  ///   row under cosine, fewer distinct rows than clusters, or mis-shaped given centers.
  /// - Complexity: O(iterations × n × k × d) time; O(n + k × d) memory beyond the data
  ///   (a normalised copy of the data under cosine).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func fit(
    _ data: Matrix<Scalar>, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)? = nil
  ) throws -> KMeansFitResult<Scalar> {
    try configuration.validate()
    let threads = configuration.threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    let prepared = try PreparedData(data, metric: configuration.metric, threadCount: threads)
    let k = configuration.effectiveClusterCount
    if case .centers(let given) = configuration.initialization,
      given.columnCount != data.columnCount
    {
      throw KMeansError.dimensionMismatch(
        expected: data.columnCount, actual: given.columnCount, context: "the initial centers")
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
      var random = RandomSource(seed: configuration.seed, stream: restart)
      let initial = try prepared.initialCenters(
        configuration.initialization, clusterCount: k, random: &random)
      let run = prepared.lloyd(
        from: initial, configuration: configuration, absoluteTolerance: absoluteTolerance,
        progress: progress)
      if best == nil || run.model.inertia < best!.model.inertia { best = run }
    }
    return best!
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

  /// One Lloyd run from `initial` centers.
  func lloyd(
    from initial: Matrix<Scalar>, configuration: KMeansConfiguration, absoluteTolerance: Double,
    progress: ((IterationStatistics) -> Void)?
  ) -> KMeansFitResult<Scalar> {
    var centers = initial
    var previousLabels: [Int32]? = nil
    var previousLoss: Double? = nil
    var statistics: [IterationStatistics] = []
    var stopReason = StopReason.maxIterations
    var assignment: Assignment<Scalar>?
    for iteration in 1...configuration.maxIterations {
      let started = DispatchTime.now().uptimeNanoseconds
      let current = assign(to: PreparedCenters(centers), previous: previousLabels)
      let update = updatedCenters(from: centers, assignment: current)
      centers = update.centers
      assignment = current
      let record = IterationStatistics(
        iteration: iteration, loss: current.loss, centerShift: update.centerShift,
        relocatedClusters: update.relocatedClusters, changedLabels: current.changedLabels,
        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
      statistics.append(record)
      progress?(record)
      if previousLabels != nil && current.changedLabels == 0 {
        stopReason = .labelsUnchanged
        break
      }
      if update.centerShift <= absoluteTolerance {
        stopReason = .centerShiftTolerance
        break
      }
      if let relativeTolerance = configuration.relativeTolerance, let previousLoss,
        abs(current.loss - previousLoss) / (1 + abs(previousLoss)) < relativeTolerance
      {
        stopReason = .relativeLossTolerance
        break
      }
      previousLabels = current.labels
      previousLoss = current.loss
    }
    // Unless the labels already match the centers, assign once more so that they do.
    var final = assignment!
    if stopReason != .labelsUnchanged {
      final = assign(to: PreparedCenters(centers))
    }
    let model = KMeansModel(
      centers: centers, metric: metric, inertia: final.loss, iterationCount: statistics.count,
      stopReason: stopReason, iterationStatistics: statistics)
    return KMeansFitResult(
      model: model, labels: final.labels.map(Int.init), distances: final.distances)
  }
}
