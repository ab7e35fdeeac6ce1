import KMeansKernels

/// Per-cluster sums of points (in `Double`, `k × d`; each point times its weight), point
/// counts and weight totals, over one or more shards. Without weights every weight is 1, so
/// ``weights`` holds the counts.
///
/// Sums are taken over fixed blocks of rows and added in block order, shard after shard: the
/// bits never depend on the thread count.
package struct ClusterSums: Sendable {
  package var sums: [Double]
  package var counts: [Int]
  /// Σ wᵢ over each cluster's points.
  package var weights: [Double]
  package let dimension: Int

  package init(clusterCount: Int, dimension: Int) {
    sums = [Double](repeating: 0, count: clusterCount * dimension)
    counts = [Int](repeating: 0, count: clusterCount)
    weights = [Double](repeating: 0, count: clusterCount)
    self.dimension = dimension
  }

  package var clusterCount: Int { counts.count }

  /// The weighted mean of cluster `cluster` (undefined when its weight is zero).
  func mean(of cluster: Int) -> [Double] {
    let scale = 1 / weights[cluster]
    return (0..<dimension).map { sums[cluster * dimension + $0] * scale }
  }
}

extension PreparedData {
  /// Adds the points of this shard (times their weights) into `sums`.
  ///
  /// The rows are cut into at most 16 blocks whose size depends only on the row count; each
  /// block's sums are taken in row order into its own `k × d` buffer (one streaming pass, no
  /// per-row branch), and the blocks are then added in block order: the bits never depend on
  /// the thread count, and the extra memory is at most 16 · k · d doubles.
  func accumulate(labels: [Int32], into total: inout ClusterSums, threadCount: Int) {
    let k = total.clusterCount
    let d = points.columnCount
    let n = points.rowCount
    let blockRows = max(4096, (n + 15) / 16)
    let blocks = max(1, (n + blockRows - 1) / blockRows)
    var blockSums = [Double](repeating: 0, count: blocks * k * d)
    var blockCounts = [Int](repeating: 0, count: blocks * k)
    var blockWeights = [Double](repeating: 0, count: blocks * k)
    points.withUnsafeElements { pointBase in
      labels.withUnsafeBufferPointer { labelBuffer in
        blockSums.withUnsafeMutableBufferPointer { sumBuffer in
          blockCounts.withUnsafeMutableBufferPointer { countBuffer in
            blockWeights.withUnsafeMutableBufferPointer { weightTotalBuffer in
              withWeightPointer { weightBase in
                let shared = UnsafeSendable(
                  (
                    pointBase, labelBuffer.baseAddress!, sumBuffer.baseAddress!,
                    countBuffer.baseAddress!, weightTotalBuffer.baseAddress!, weightBase
                  ))
                parallelFor(chunkCount: blocks, threadCount: threadCount) { block, _ in
                  let (points, labels, sums, counts, weightTotals, weights) = shared.value
                  let start = block * blockRows
                  let rows = min(blockRows, n - start)
                  Scalar._kernels.accumulate(
                    points + start * d, rows, d, labels + start, weights.map { $0 + start },
                    0..<k, sums + block * k * d, counts + block * k, weightTotals + block * k)
                }
              }
            }
          }
        }
      }
    }
    // Blocks in order: the same sums whatever the thread count.
    for block in 0..<blocks {
      let base = block * k * d
      for index in 0..<(k * d) { total.sums[index] += blockSums[base + index] }
      for cluster in 0..<k {
        total.counts[cluster] += blockCounts[block * k + cluster]
        total.weights[cluster] += blockWeights[block * k + cluster]
      }
    }
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
}

/// A point that may re-seed an empty cluster: how far it is from its center, its cluster, its
/// values.
package struct RelocationCandidate: Sendable {
  package var distance: Double
  package var label: Int
  package var values: [Double]
  /// The point's sample weight.
  package var weight: Double

  package init(distance: Double, label: Int, values: [Double], weight: Double = 1) {
    self.distance = distance
    self.label = label
    self.values = values
    self.weight = weight
  }
}

/// A point chosen to re-seed an empty cluster: where it is and how far it was from its center.
struct FarPoint<Scalar: KMeansScalar> {
  var distance: Scalar
  var shard: Int
  var row: Int
}

/// The `count` points farthest from their centers over all shards, farthest first; ties go to
/// the earlier shard, then the lower row.
func farthestPoints<Scalar: KMeansScalar>(_ distances: [[Scalar]], count: Int) -> [FarPoint<Scalar>]
{
  guard count > 0 else { return [] }
  var chosen: [FarPoint<Scalar>] = []
  chosen.reserveCapacity(count + 1)
  for (shard, shardDistances) in distances.enumerated() {
    for (row, distance) in shardDistances.enumerated() {
      if chosen.count == count, let last = chosen.last, !(distance > last.distance) { continue }
      var position = chosen.count
      while position > 0 && distance > chosen[position - 1].distance { position -= 1 }
      chosen.insert(FarPoint(distance: distance, shard: shard, row: row), at: position)
      if chosen.count > count { chosen.removeLast() }
    }
  }
  return chosen
}
