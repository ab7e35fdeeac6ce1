import KMeansKernels

/// The M-step: each center becomes the mean of its points (renormalised under cosine), and
/// empty clusters are relocated.
struct CenterUpdate<Scalar: KMeansScalar> {
  var centers: Matrix<Scalar>
  var relocatedClusters: Int
  /// Σⱼ ‖cⱼ − cⱼ′‖² between the old and the new centers.
  var centerShift: Double
}

extension PreparedData {
  /// New centers from an assignment.
  ///
  /// Sums are taken per center in row order, in `Double`, with centers split among workers
  /// by their point counts, so the bits never depend on the thread count.
  ///
  /// An empty cluster takes the point farthest from its own center (scikit-learn's rule):
  /// empty clusters in index order take the points in decreasing order of distance (ties: lower
  /// row first), and each taken point leaves its old cluster's sum. Labels are not changed;
  /// the next assignment sees the new centers.
  func updatedCenters(
    from old: Matrix<Scalar>, assignment: Assignment<Scalar>
  ) -> CenterUpdate<Scalar> {
    let k = old.rowCount
    let d = points.columnCount
    var counts = [Int](repeating: 0, count: k)
    for label in assignment.labels { counts[Int(label)] += 1 }
    var sums = [Double](repeating: 0, count: k * d)
    let ranges = Self.balancedRanges(counts: counts, parts: threadCount)
    var workerCounts = [Int](repeating: 0, count: k)
    points.withUnsafeElements { pointBase in
      assignment.labels.withUnsafeBufferPointer { labels in
        sums.withUnsafeMutableBufferPointer { sumBuffer in
          workerCounts.withUnsafeMutableBufferPointer { countBuffer in
            let shared = UnsafeSendable(
              (pointBase, labels.baseAddress!, sumBuffer.baseAddress!, countBuffer.baseAddress!))
            let n = points.rowCount
            parallelFor(chunkCount: ranges.count, threadCount: threadCount) { part, _ in
              let (points, labels, sums, counts) = shared.value
              Scalar._kernels.accumulate(points, n, d, labels, ranges[part], sums, counts)
            }
          }
        }
      }
    }
    assert(workerCounts == counts)

    // Relocate empty clusters to the farthest points.
    let empty = (0..<k).filter { counts[$0] == 0 }
    if !empty.isEmpty {
      let farthest = Self.farthestRows(assignment.distances, count: empty.count)
      points.withUnsafeElements { base in
        for (cluster, row) in zip(empty, farthest) {
          let from = Int(assignment.labels[row])
          let point = base + row * d
          for column in 0..<d {
            let value = Double(point[column])
            sums[from * d + column] -= value
            sums[cluster * d + column] = value
          }
          counts[from] -= 1
          counts[cluster] = 1
        }
      }
    }

    var centers = Matrix<Scalar>(zerosWithRowCount: k, columnCount: d)
    var shift = 0.0
    for cluster in 0..<k {
      var row = [Double](repeating: 0, count: d)
      if counts[cluster] > 0 {
        let scale = 1 / Double(counts[cluster])
        for column in 0..<d { row[column] = sums[cluster * d + column] * scale }
      }
      if metric == .cosine {
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for column in 0..<d { row[column] /= norm } }
      }
      // A cluster emptied by a relocation, or a cosine mean of zero length, keeps its center.
      let keepsOld =
        counts[cluster] == 0 || (metric == .cosine && row.allSatisfy { $0 == 0 })
      for column in 0..<d {
        let value = keepsOld ? old[cluster, column] : Scalar(row[column])
        centers[cluster, column] = value
        let moved = Double(value) - Double(old[cluster, column])
        shift += moved * moved
      }
    }
    return CenterUpdate(centers: centers, relocatedClusters: empty.count, centerShift: shift)
  }

  /// Splits `0..<counts.count` into at most `parts` contiguous ranges of similar total count.
  static func balancedRanges(counts: [Int], parts: Int) -> [Range<Int>] {
    let total = counts.reduce(0, +)
    let parts = max(1, min(parts, counts.count))
    var ranges: [Range<Int>] = []
    var start = 0
    var running = 0
    for (index, count) in counts.enumerated() {
      running += count
      let target = (total * (ranges.count + 1) + parts - 1) / parts
      if running >= target && ranges.count < parts - 1 {
        ranges.append(start..<(index + 1))
        start = index + 1
      }
    }
    if start < counts.count { ranges.append(start..<counts.count) }
    return ranges
  }

  /// The indices of the `count` largest distances, largest first, lower index first on ties.
  static func farthestRows(_ distances: [Scalar], count: Int) -> [Int] {
    // A bounded selection: O(n log count) with a sorted buffer of `count` candidates.
    var chosen: [(distance: Scalar, row: Int)] = []
    chosen.reserveCapacity(count + 1)
    for (row, distance) in distances.enumerated() {
      if chosen.count == count, let last = chosen.last, !(distance > last.distance) { continue }
      var position = chosen.count
      while position > 0 && distance > chosen[position - 1].distance { position -= 1 }
      chosen.insert((distance, row), at: position)
      if chosen.count > count { chosen.removeLast() }
    }
    return chosen.map(\.row)
  }
}
