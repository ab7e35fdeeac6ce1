import Foundation
import KMeansKernels

/// Lloyd's algorithm over data sharded across workers: each worker assigns and sums its own
/// rows with the single-process kernels; one sum over workers per iteration (of the per-center
/// sums and counts, the loss and the changed labels: O(k·d), independent of n) gives every
/// worker the same new centers. Empty clusters take the globally farthest points (gathered
/// from each worker's own farthest), and every stopping rule sees global figures, so the run
/// behaves as one process would.
package enum DistributedKMeans {
  /// Per-iteration hook: the iteration's record and the centers after it (for checkpoints).
  package typealias IterationHook<Scalar: KMeansScalar> = (IterationStatistics, Matrix<Scalar>)
    throws -> Void

  /// Trains on this worker's `shard` (rows `rowOffset ..< rowOffset + shard.rowCount` of the
  /// whole data). Returns the model (global inertia) and this shard's labels.
  package static func fit<Scalar: KMeansScalar>(
    shard: Matrix<Scalar>, rowOffset: Int, configuration: KMeansConfiguration,
    initialization: DistributedInitialization,
    resumeFrom: (centers: Matrix<Scalar>, iteration: Int)? = nil,
    collectives: Collectives, onIteration: IterationHook<Scalar>? = nil
  ) throws -> KMeansFitResult<Scalar> {
    try configuration.validate()
    let threads = configuration.threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    let rank = collectives.rank
    // Validate every shard; a bad one is reported with its rank and global row, and the
    // other workers stop too instead of waiting forever.
    var prepared: PreparedData<Scalar>? = nil
    var failure: KMeansError? = nil
    do {
      prepared = try PreparedData(shard, metric: configuration.metric, threadCount: threads)
    } catch let error as KMeansError {
      failure = Self.globalized(error, rowOffset: rowOffset)
    }
    var flags = [Double](repeating: 0, count: collectives.size)
    if failure != nil { flags[rank] = 1 }
    try collectives.sum(&flags)
    if let failure { throw KMeansError.rankFailure(rank: rank, message: failure.description) }
    if let bad = flags.firstIndex(where: { $0 > 0 }) {
      throw KMeansError.rankFailure(
        rank: bad, message: "stopped because rank \(bad) reported bad input")
    }
    guard let data = prepared else { throw KMeansError.emptyInput("no shard") }
    let d = shard.columnCount
    let k = configuration.effectiveClusterCount

    // Global row count and the tolerance's variance scale.
    var moments = [Double](repeating: 0, count: 2 * d + 1)
    data.points.withUnsafeElements { base in
      for row in 0..<data.points.rowCount {
        for column in 0..<d {
          let value = Double(base[row * d + column])
          moments[column] += value
          moments[d + column] += value * value
        }
      }
    }
    moments[2 * d] = Double(shard.rowCount)
    try collectives.sum(&moments)
    let total = moments[2 * d]
    var variance = 0.0
    for column in 0..<d {
      let mean = moments[column] / total
      variance += max(0, moments[d + column] / total - mean * mean)
    }
    let absoluteTolerance = configuration.tolerance * variance / Double(d)

    var centers: Matrix<Scalar>
    var firstIteration = 1
    if let resumeFrom {
      centers = resumeFrom.centers
      firstIteration = resumeFrom.iteration + 1
    } else {
      centers = try initialCenters(
        data, k: k, initialization: initialization, rowOffset: rowOffset,
        totalRows: Int(total), seed: configuration.seed, collectives: collectives)
    }
    guard centers.rowCount == k, centers.columnCount == d else {
      throw KMeansError.dimensionMismatch(
        expected: d, actual: centers.columnCount, context: "the initial centers (k=\(k))")
    }

    var previousLabels: [Int32]? = nil
    var previousLoss: Double? = nil
    var statistics: [IterationStatistics] = []
    var stopReason = StopReason.maxIterations
    var last: Assignment<Scalar>? = nil
    var iteration = firstIteration
    while iteration <= configuration.maxIterations {
      let started = DispatchTime.now().uptimeNanoseconds
      let assignment = data.assign(to: PreparedCenters(centers), previous: previousLabels)
      var local = ClusterSums(clusterCount: k, dimension: d)
      data.accumulate(labels: assignment.labels, into: &local, threadCount: threads)
      var packed = local.sums + local.counts.map(Double.init)
      packed += [assignment.loss, Double(previousLabels == nil ? 1 : assignment.changedLabels)]
      try collectives.sum(&packed)
      var global = ClusterSums(clusterCount: k, dimension: d)
      global.sums = Array(packed[0..<(k * d)])
      global.counts = packed[(k * d)..<(k * d + k)].map { Int($0.rounded()) }
      global.weights = global.counts.map(Double.init)
      let loss = packed[k * d + k]
      let changed = Int(packed[k * d + k + 1].rounded())

      let empty =
        configuration.tfCompat
        ? 0 : global.counts.dropFirst(configuration.frozenCenterCount).filter { $0 == 0 }.count
      var candidates: [RelocationCandidate] = []
      if empty > 0 {
        candidates = try farthestCandidates(
          data, assignment: assignment, count: empty, rowOffset: rowOffset, collectives: collectives
        )
      }
      let update = KMeansTrainer<Scalar>.centersFromSums(
        global, old: centers, relocating: candidates, metric: configuration.metric,
        tfCompat: configuration.tfCompat, frozen: configuration.frozenCenterCount)
      centers = update.centers
      last = assignment
      let record = IterationStatistics(
        iteration: iteration, loss: loss, centerShift: update.centerShift,
        relocatedClusters: update.relocatedClusters, changedLabels: changed,
        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
      statistics.append(record)
      try onIteration?(record, centers)
      if previousLabels != nil && changed == 0 {
        stopReason = .labelsUnchanged
        break
      }
      if update.centerShift <= absoluteTolerance {
        stopReason = .centerShiftTolerance
        break
      }
      if let relativeTolerance = configuration.relativeTolerance, let previousLoss,
        abs(loss - previousLoss) / (1 + abs(previousLoss)) < relativeTolerance
      {
        stopReason = .relativeLossTolerance
        break
      }
      previousLabels = assignment.labels
      previousLoss = loss
      iteration += 1
    }
    var final = last ?? data.assign(to: PreparedCenters(centers))
    if stopReason != .labelsUnchanged || last == nil {
      final = data.assign(to: PreparedCenters(centers))
    }
    var inertia = [final.loss]
    try collectives.sum(&inertia)
    let model = KMeansModel(
      centers: centers, metric: configuration.metric, inertia: inertia[0],
      iterationCount: firstIteration - 1 + statistics.count, stopReason: stopReason,
      iterationStatistics: statistics)
    return KMeansFitResult(
      model: model, labels: final.labels.map(Int.init), distances: final.distances)
  }

  static func globalized(_ error: KMeansError, rowOffset: Int) -> KMeansError {
    switch error {
    case .nonFiniteValue(let row, let column):
      return .nonFiniteValue(row: row + rowOffset, column: column)
    case .zeroRowUnderCosine(let row): return .zeroRowUnderCosine(row: row + rowOffset)
    default: return error
    }
  }

  /// The `count` points farthest from their centers over all workers: each worker sends its
  /// own farthest `count` (distance, global row, label, values); ties go to the lower global row.
  static func farthestCandidates<Scalar: KMeansScalar>(
    _ data: PreparedData<Scalar>, assignment: Assignment<Scalar>, count: Int, rowOffset: Int,
    collectives: Collectives
  ) throws -> [RelocationCandidate] {
    let d = data.points.columnCount
    var message: [Double] = []
    for point in farthestPoints([assignment.distances], count: count) {
      message += [
        Double(point.distance), Double(rowOffset + point.row), Double(assignment.labels[point.row]),
      ]
      message += data.points.row(point.row).map(Double.init)
    }
    var all: [(distance: Double, row: Double, candidate: RelocationCandidate)] = []
    for part in try collectives.gather(message) {
      let width = 3 + d
      for start in stride(from: 0, to: part.count, by: width) {
        all.append(
          (
            part[start], part[start + 1],
            RelocationCandidate(
              distance: part[start], label: Int(part[start + 2]),
              values: Array(part[(start + 3)..<(start + width)]))
          ))
      }
    }
    all.sort { $0.distance != $1.distance ? $0.distance > $1.distance : $0.row < $1.row }
    return all.prefix(count).map(\.candidate)
  }
}
