import KMeansKernels

/// Which bounds full-batch passes keep from one pass to the next.
enum BoundStrategy: Sendable, Equatable {
  /// Every distance every pass.
  case none
  /// Hamerly's one lower bound per row (``LloydAlgorithm/hamerly``).
  case hamerly
  /// Yinyang's one lower bound per group of centers and row (``LloydAlgorithm/yinyang``).
  case yinyang
}

/// How one worker finds its rows' nearest centers, and what it keeps from one pass to the
/// next: every distance each pass, Hamerly's bounds (``LloydAlgorithm/hamerly``) or Yinyang's
/// group bounds (``LloydAlgorithm/yinyang``), which give the same labels and distances with far
/// fewer distances once the centers settle. Dense and sparse rows, both metrics (sparse rows
/// keep Hamerly's bounds when asked for Yinyang's).
struct Assigner<Scalar: KMeansScalar>: Sendable {
  let strategy: BoundStrategy
  /// Labels, distances (and bounds) of the worker's rows after the last pass.
  private(set) var buffers: AssignmentBuffers<Scalar>
  /// Whether the buffers hold the labels of an earlier pass.
  private(set) var hasLabels = false
  /// The centers the bounds were made against.
  private var boundCenters: KernelCenters<Scalar>? = nil
  private var geometry: BoundGeometry<Scalar>? = nil
  private var groupGeometry: GroupedBoundGeometry<Scalar>? = nil
  /// Yinyang's groups, made from the centers of the first pass.
  private var groups: CenterGroups? = nil
  private let distance: DistanceKind
  private let threadCount: Int

  /// Whether passes keep bounds.
  var bounded: Bool { strategy != .none }

  /// An assigner for `rowCount` rows, with Hamerly's bounds when `bounded`.
  init(rowCount: Int, bounded: Bool) {
    self.init(
      rowCount: rowCount, strategy: bounded ? .hamerly : .none, clusterCount: 0,
      metric: .squaredEuclidean, threadCount: 1)
  }

  /// An assigner for `rowCount` rows keeping `strategy`'s bounds against `clusterCount`
  /// centers of `metric`.
  init(
    rowCount: Int, strategy: BoundStrategy, clusterCount: Int, metric: DistanceMetric,
    threadCount: Int
  ) {
    self.strategy = strategy
    self.distance = metric == .cosine ? .cosine : .squaredEuclidean
    self.threadCount = threadCount
    let perRow: Int
    switch strategy {
    case .none: perRow = 0
    case .hamerly: perRow = 1
    case .yinyang: perRow = GroupedBoundKernel<Scalar>.groupCount(centers: clusterCount)
    }
    self.buffers = AssignmentBuffers(rowCount: rowCount, boundsPerRow: perRow)
  }

  /// Prepares a pass against `centers`.
  mutating func beginPass(_ centers: PreparedCenters<Scalar>) {
    geometry = nil
    groupGeometry = nil
    guard hasLabels, let boundCenters else { return }
    switch strategy {
    case .none: break
    case .hamerly:
      geometry = BoundGeometry(centers: centers.kernel, previous: boundCenters)
    case .yinyang:
      if groups == nil {
        groups = CenterGroups(
          boundCenters, groupCount: buffers.boundsPerRow, threadCount: threadCount)
      }
      groupGeometry = GroupedBoundGeometry(
        centers: centers.kernel, previous: boundCenters, groups: groups!, distance: distance)
    }
  }

  /// The bounds this pass keeps: none, Hamerly's or Yinyang's (nil geometry: the first pass).
  private var passBounds: PassBounds<Scalar> {
    switch strategy {
    case .none: .none
    case .hamerly: .hamerly(geometry)
    case .yinyang: .yinyang(groupGeometry)
    }
  }

  /// Assigns one piece of the rows (the worker's rows `offset ..< offset + piece.rowCount`).
  mutating func assign<Data: ClusterableData<Scalar>>(
    _ piece: Data, at offset: Int, to centers: PreparedCenters<Scalar>
  ) -> PassTotals {
    return piece.assignmentPass(
      to: centers, bounds: passBounds, into: &buffers, at: offset, countChanges: hasLabels)
  }

  /// ``assign(_:at:to:)`` that also adds the piece's rows into `sums` where the pass can
  /// while they are in cache (`summed`); otherwise the caller accumulates them.
  mutating func assign<Data: ClusterableData<Scalar>>(
    _ piece: Data, at offset: Int, to centers: PreparedCenters<Scalar>,
    summingInto sums: inout ClusterSumsAccumulator<Scalar>
  ) -> (totals: PassTotals, summed: Bool) {
    return piece.assignmentPass(
      to: centers, bounds: passBounds, into: &buffers, at: offset, countChanges: hasLabels,
      summingInto: &sums)
  }

  /// Ends a pass against `centers`.
  mutating func endPass(_ centers: PreparedCenters<Scalar>) {
    hasLabels = true
    if bounded { boundCenters = centers.kernel }
  }

  /// The `count` rows farthest from their centers, farthest first (ties: the lower row).
  func farthestRows(count: Int) -> [Int] {
    guard count > 0 else { return [] }
    var chosen: [Int] = []
    chosen.reserveCapacity(count + 1)
    let distances = buffers.distances
    for row in distances.indices {
      let distance = distances[row]
      if chosen.count == count, let last = chosen.last, !(distance > distances[last]) { continue }
      var position = chosen.count
      while position > 0 && distance > distances[chosen[position - 1]] { position -= 1 }
      chosen.insert(row, at: position)
      if chosen.count > count { chosen.removeLast() }
    }
    return chosen
  }
}
