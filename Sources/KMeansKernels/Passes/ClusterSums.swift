/// Per-cluster sums of points (in `Double`, `k × d`; each point times its weight), point
/// counts and weight totals. Without weights every weight is 1, so ``weights`` holds the
/// counts.
package struct ClusterSums: Sendable, Equatable {
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
  package func mean(of cluster: Int) -> [Double] {
    let scale = 1 / weights[cluster]
    return (0..<dimension).map { sums[cluster * dimension + $0] * scale }
  }

  /// The values in one flat array (sums, counts, weights), for a reduction across workers.
  package var packed: [Double] { sums + counts.map(Double.init) + weights }

  /// Sums from ``packed`` values.
  package init(packed: ArraySlice<Double>, clusterCount k: Int, dimension d: Int) {
    precondition(packed.count == k * d + 2 * k)
    let start = packed.startIndex
    self.dimension = d
    sums = Array(packed[start..<(start + k * d)])
    counts = packed[(start + k * d)..<(start + k * d + k)].map { Int($0.rounded()) }
    weights = Array(packed[(start + k * d + k)..<(start + k * d + 2 * k)])
  }
}

/// The sums of one pass over a worker's `rowCount` rows, taken so that the bits depend neither
/// on the thread count nor on how the rows arrive in pieces (one matrix, or the batches of a
/// stream).
///
/// Dense rows: the rows are cut into at most 16 blocks whose size depends only on `rowCount`
/// and `clusterCount` (at least 1,024 rows, and 8·k rows, a block);
/// each block's sums are taken in row order into its own `k × d` buffer (one streaming pass,
/// no per-row branch), and ``total()`` adds the blocks in block order: at most 16·k·d extra
/// doubles. Sparse rows: the clusters are split among the workers, each adding its clusters'
/// rows in row order into the totals (FAISS's `compute_centroids` rule), no extra memory.
package struct ClusterSumsAccumulator<Scalar: KMeansScalar>: Sendable {
  package let clusterCount: Int
  package let dimension: Int
  package let rowCount: Int
  let blockRows: Int
  let blockCount: Int
  private var blockSums: [Double] = []
  private var blockCounts: [Int] = []
  private var blockWeights: [Double] = []
  private var direct: ClusterSums

  /// An accumulator for `rowCount` rows of `dimension` values and `clusterCount` clusters.
  package init(clusterCount: Int, dimension: Int, rowCount: Int) {
    self.clusterCount = clusterCount
    self.dimension = dimension
    self.rowCount = rowCount
    // At most 16 blocks of at least 1,024 rows, and a block for every 8·k rows at most: the
    // blocks' sums (k·d doubles each, zeroed and added up every pass) stay small beside the
    // rows they sum.
    let blocks = max(1, min(16, rowCount / max(1024, 8 * clusterCount)))
    blockRows = max(1, (rowCount + blocks - 1) / blocks)
    blockCount = max(1, (rowCount + blockRows - 1) / blockRows)
    direct = ClusterSums(clusterCount: clusterCount, dimension: dimension)
  }

  /// Adds dense rows (the worker's rows `offset ..< offset + rows.rowCount`), their labels
  /// (`labels[labelOffset...]`) and their weights (one per row of `rows`, or nil).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package mutating func add(
    _ rows: DenseRows<Scalar>, labels: [Int32], labelOffset: Int, weights: [Double]?,
    at offset: Int, threadCount: Int
  ) {
    precondition(rows.columnCount == dimension && offset + rows.rowCount <= rowCount)
    precondition(labelOffset + rows.rowCount <= labels.count)
    let k = clusterCount
    let d = dimension
    // The blocks this piece touches, and the part of the piece in each.
    let end = offset + rows.rowCount
    let firstBlock = offset / blockRows
    let lastBlock = max(firstBlock, (end - 1) / blockRows)
    let parts = (firstBlock...lastBlock).map { block in
      (block, max(offset, block * blockRows)..<min(end, (block + 1) * blockRows))
    }.filter { !$0.1.isEmpty }
    func addParts(
      _ sums: UnsafeMutablePointer<Double>, _ counts: UnsafeMutablePointer<Int>,
      _ weightTotals: UnsafeMutablePointer<Double>
    ) {
      rows.withPointer { pointBase in
        labels.withUnsafeBufferPointer { labelBuffer in
          weights.withOptionalPointer { weightBase in
            let shared = UnsafeSendable(
              (
                pointBase, labelBuffer.baseAddress! + labelOffset, sums, counts, weightTotals,
                weightBase
              ))
            parallelFor(chunkCount: parts.count, threadCount: threadCount) { part, _ in
              let (points, labels, sums, counts, weightTotals, weights) = shared.value
              let (block, range) = parts[part]
              let local = range.lowerBound - offset
              Scalar._kernels.accumulate(
                points + local * d, range.count, d, labels + local, weights.map { $0 + local },
                0..<k, sums + block * k * d, counts + block * k, weightTotals + block * k)
            }
          }
        }
      }
    }
    if blockCount == 1 {
      // One block (a mini-batch, a small piece): its sums are the totals (0 + x is x, the
      // same bits), so they go straight there, without a block buffer.
      withSumPointers(&direct.sums, &direct.counts, &direct.weights, addParts)
      return
    }
    allocateBlocks()
    withSumPointers(&blockSums, &blockCounts, &blockWeights, addParts)
  }

  /// The blocks' zeroed buffers, on first use.
  private mutating func allocateBlocks() {
    guard blockSums.isEmpty else { return }
    blockSums = [Double](repeating: 0, count: blockCount * clusterCount * dimension)
    blockCounts = [Int](repeating: 0, count: blockCount * clusterCount)
    blockWeights = [Double](repeating: 0, count: blockCount * clusterCount)
  }

  /// Adds sparse rows (`rows`, the worker's rows from some offset on), their labels
  /// (`labels[labelOffset...]`) and their weights (one per row of `rows`, or nil).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package mutating func add(
    _ rows: CSRRows<Scalar>, labels: [Int32], labelOffset: Int, weights: [Double]?,
    threadCount: Int
  ) {
    let k = clusterCount
    let d = dimension
    let n = rows.rowCount
    let first = rows.firstRow
    var rowCounts = [Int](repeating: 0, count: k)
    for row in 0..<n { rowCounts[Int(labels[labelOffset + row])] += 1 }
    let ranges = Self.balancedRanges(counts: rowCounts, parts: threadCount)
    withSumPointers(&direct.sums, &direct.counts, &direct.weights) { sums, counts, weightTotals in
      rows.withRows { sparseRows in
        labels.withUnsafeBufferPointer { labelBuffer in
          weights.withOptionalPointer { weightBase in
            // The kernel indexes rows from 0: shift the view to the first row.
            var view = sparseRows
            view.rowOffsets += first
            view.squaredNorms += first
            let shared = UnsafeSendable(
              (
                view, labelBuffer.baseAddress! + labelOffset, sums, counts, weightTotals,
                weightBase
              ))
            parallelFor(chunkCount: ranges.count, threadCount: threadCount) { part, _ in
              let (view, labels, sums, counts, weightTotals, weights) = shared.value
              Scalar._kernels.sparseAccumulate(
                view, n, d, labels, weights, ranges[part], sums, counts, weightTotals)
            }
          }
        }
      }
    }
  }

  /// The sums so far: the dense blocks added in block order (plus any sparse rows).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package func total() -> ClusterSums {
    var total = direct
    guard !blockSums.isEmpty else { return total }
    let k = clusterCount
    let d = dimension
    for block in 0..<blockCount {
      let base = block * k * d
      for index in 0..<(k * d) { total.sums[index] += blockSums[base + index] }
      for cluster in 0..<k {
        total.counts[cluster] += blockCounts[block * k + cluster]
        total.weights[cluster] += blockWeights[block * k + cluster]
      }
    }
    return total
  }

  /// Splits `0..<counts.count` into at most `parts` contiguous ranges of similar total count.
  package static func balancedRanges(counts: [Int], parts: Int) -> [Range<Int>] {
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

/// Cluster sums taken inside an assignment pass, while each range's rows are still in cache:
/// the pass's rows cut at the accumulator's block boundaries (`parts`, relative to the pass's
/// first row, in row order) and `add`, which adds a range of one part's rows, given a pointer
/// at their labels, to that part's block. Each part is worked by one worker in row order, so
/// the sums have the bits of a separate pass after the assignment.
package struct FusedSums: Sendable {
  package let parts: [Range<Int>]
  package let add: @Sendable (_ rows: Range<Int>, _ labels: UnsafePointer<Int32>) -> Void
}

extension ClusterSumsAccumulator {
  /// The rows `offset ..< offset + count` cut at the block boundaries, relative to `offset`.
  package func blockParts(offset: Int, count: Int) -> [Range<Int>] {
    var parts: [Range<Int>] = []
    var start = offset
    while start < offset + count {
      let end = min(offset + count, (start / blockRows + 1) * blockRows)
      parts.append((start - offset)..<(end - offset))
      start = end
    }
    return parts
  }

  /// Runs `body` with the sums of dense `rows` (the worker's rows from `offset` on, `weights`
  /// one per row or nil) to be taken inside the assignment pass, or with nil where a separate
  /// pass is better: where the pass would have fewer than four block parts a worker (the
  /// workers would idle: 20,000 rows at k = 1,000 are 2 blocks), the sums are left to ``add(_:labels:labelOffset:weights:at:threadCount:)``.
  package mutating func withFusedSums<Result>(
    _ rows: DenseRows<Scalar>, weights: [Double]?, at offset: Int, threadCount: Int,
    _ body: (FusedSums?) -> Result
  ) -> Result {
    precondition(rows.columnCount == dimension && offset + rows.rowCount <= rowCount)
    let parts = blockParts(offset: offset, count: rows.rowCount)
    guard threadCount == 1 || parts.count >= 4 * threadCount else { return body(nil) }
    if blockCount > 1 { allocateBlocks() }
    let k = clusterCount
    let d = dimension
    let blockRows = blockRows
    let blocked = blockCount > 1
    var result: Result?
    func run(
      _ sums: UnsafeMutablePointer<Double>, _ counts: UnsafeMutablePointer<Int>,
      _ weightTotals: UnsafeMutablePointer<Double>
    ) {
      rows.withPointer { pointBase in
        weights.withOptionalPointer { weightBase in
          let shared = UnsafeSendable((pointBase, weightBase, sums, counts, weightTotals))
          let fused = FusedSums(parts: parts) { range, labels in
            let (points, weights, sums, counts, weightTotals) = shared.value
            // One block takes the whole part (0 + x is x: the totals themselves).
            let block = blocked ? (offset + range.lowerBound) / blockRows : 0
            Scalar._kernels.accumulate(
              points + range.lowerBound * d, range.count, d, labels,
              weights.map { $0 + range.lowerBound }, 0..<k, sums + block * k * d,
              counts + block * k, weightTotals + block * k)
          }
          result = body(fused)
        }
      }
    }
    if blocked {
      withSumPointers(&blockSums, &blockCounts, &blockWeights, run)
    } else {
      withSumPointers(&direct.sums, &direct.counts, &direct.weights, run)
    }
    return result!
  }
}

/// Runs `body` with pointers to one set of sum buffers: the sums, the counts and the weight
/// totals (none empty).
private func withSumPointers(
  _ sums: inout [Double], _ counts: inout [Int], _ weightTotals: inout [Double],
  _ body:
    (
      UnsafeMutablePointer<Double>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<Double>
    ) -> Void
) {
  sums.withUnsafeMutableBufferPointer { sumBuffer in
    counts.withUnsafeMutableBufferPointer { countBuffer in
      weightTotals.withUnsafeMutableBufferPointer { weightBuffer in
        body(sumBuffer.baseAddress!, countBuffer.baseAddress!, weightBuffer.baseAddress!)
      }
    }
  }
}
