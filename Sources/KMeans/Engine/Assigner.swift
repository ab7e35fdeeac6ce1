import KMeansKernels

/// How one worker finds its rows' nearest centers, and what it keeps from one pass to the
/// next: every distance each pass, or Hamerly's bounds (``LloydAlgorithm/hamerly``), which
/// give the same labels and distances with far fewer distances once the centers settle.
/// Dense and sparse rows, both metrics.
struct Assigner<Scalar: KMeansScalar>: Sendable {
  /// Whether passes use Hamerly's bounds.
  let bounded: Bool
  /// Labels, distances (and bounds) of the worker's rows after the last pass.
  private(set) var buffers: AssignmentBuffers<Scalar>
  /// Whether the buffers hold the labels of an earlier pass.
  private(set) var hasLabels = false
  /// The centers the bounds were made against.
  private var boundCenters: KernelCenters<Scalar>? = nil
  private var geometry: BoundGeometry<Scalar>? = nil

  /// An assigner for `rowCount` rows.
  init(rowCount: Int, bounded: Bool) {
    self.bounded = bounded
    self.buffers = AssignmentBuffers(rowCount: rowCount, bounded: bounded)
  }

  /// Prepares a pass against `centers`.
  mutating func beginPass(_ centers: PreparedCenters<Scalar>) {
    geometry = nil
    if bounded, hasLabels, let boundCenters {
      geometry = BoundGeometry(centers: centers.kernel, previous: boundCenters)
    }
  }

  /// Assigns one piece of the rows (the worker's rows `offset ..< offset + piece.rowCount`).
  mutating func assign<Data: ClusterableData<Scalar>>(
    _ piece: Data, at offset: Int, to centers: PreparedCenters<Scalar>
  ) -> PassTotals {
    if bounded {
      return piece.bounded(
        to: centers, geometry: geometry, into: &buffers, at: offset, countChanges: hasLabels)
    }
    return piece.nearest(to: centers, into: &buffers, at: offset, countChanges: hasLabels)
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
