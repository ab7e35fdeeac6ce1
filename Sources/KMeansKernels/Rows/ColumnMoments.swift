/// Per-column count, mean and sum of squared deviations from the mean (M₂) of a set of rows:
/// the variance of column j is M₂ⱼ / count. Sets merge with Chan, Golub and LeVeque's pairwise
/// update ("Algorithms for computing the sample variance", 1983): for sets A and B with
/// n = n_A + n_B and δ = mean_B − mean_A, mean = mean_A + δ·n_B/n and
/// M₂ = M₂_A + M₂_B + δ²·n_A·n_B/n — one pass over the rows, and stable for data far from the
/// origin (unlike Σx² − (Σx)²/n).
package struct ColumnMoments: Sendable, Equatable {
  /// The number of rows.
  package var count: Double
  /// The mean of each column.
  package var mean: [Double]
  /// Σ (x − mean)² of each column.
  package var squaredDeviations: [Double]

  /// No rows, `columnCount` columns.
  package init(columnCount: Int) {
    count = 0
    mean = [Double](repeating: 0, count: columnCount)
    squaredDeviations = [Double](repeating: 0, count: columnCount)
  }

  package init(count: Double, mean: [Double], squaredDeviations: [Double]) {
    precondition(mean.count == squaredDeviations.count)
    self.count = count
    self.mean = mean
    self.squaredDeviations = squaredDeviations
  }

  /// Adds the rows of `other` (the same columns) by the pairwise update.
  package mutating func merge(_ other: ColumnMoments) {
    precondition(other.mean.count == mean.count, "moments of different column counts")
    guard other.count > 0 else { return }
    guard count > 0 else {
      self = other
      return
    }
    let total = count + other.count
    let share = other.count / total
    let cross = count * other.count / total
    for column in 0..<mean.count {
      let delta = other.mean[column] - mean[column]
      mean[column] += delta * share
      squaredDeviations[column] += other.squaredDeviations[column] + delta * delta * cross
    }
    count = total
  }

  /// The mean over columns of the per-column variance (scikit-learn's scale for a
  /// tolerance); 0 without rows.
  package var meanVariance: Double {
    guard count > 0, !mean.isEmpty else { return 0 }
    return squaredDeviations.reduce(0, +) / (count * Double(mean.count))
  }

  /// The values in one flat array (count, means, M₂), for a gather across workers.
  package var packed: [Double] { [count] + mean + squaredDeviations }

  /// Moments from ``packed`` values of `columnCount` columns.
  package init(packed: ArraySlice<Double>, columnCount d: Int) {
    precondition(packed.count == 2 * d + 1)
    let start = packed.startIndex
    count = packed[start]
    mean = Array(packed[(start + 1)..<(start + 1 + d)])
    squaredDeviations = Array(packed[(start + 1 + d)..<(start + 1 + 2 * d)])
  }

  /// The rows a block of ``init(_:threadCount:)`` covers: 1,024, or more where that would make
  /// over 64 blocks. It depends on the row count alone, so the bits do not depend on the
  /// thread count.
  package static func blockRows(rowCount: Int) -> Int { max(1024, (rowCount + 63) / 64) }

  /// The moments of dense rows: each block of ``blockRows(rowCount:)`` rows in two passes while
  /// it is in cache (its column sums in row order, then its squared deviations from its mean in
  /// row order), the blocks in parallel, then merged in block order.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package init<Scalar: KMeansScalar>(_ rows: DenseRows<Scalar>, threadCount: Int) {
    let n = rows.rowCount
    let d = rows.columnCount
    let blockRows = Self.blockRows(rowCount: n)
    let blockCount = (n + blockRows - 1) / blockRows
    // Per block: d means, then d squared deviations.
    var blocks = [Double](repeating: 0, count: blockCount * 2 * d)
    rows.withPointer { base in
      blocks.withUnsafeMutableBufferPointer { blockBuffer in
        let shared = UnsafeSendable((base, blockBuffer.baseAddress!))
        parallelFor(chunkCount: blockCount, threadCount: threadCount) { block, _ in
          let (base, blockBase) = shared.value
          let means = blockBase + block * 2 * d
          let deviations = means + d
          let rowRange = (block * blockRows)..<min(n, (block + 1) * blockRows)
          for row in rowRange {
            let line = base + row * d
            for column in 0..<d { means[column] += Double(line[column]) }
          }
          let scale = 1 / Double(rowRange.count)
          for column in 0..<d { means[column] *= scale }
          for row in rowRange {
            let line = base + row * d
            for column in 0..<d {
              let deviation = Double(line[column]) - means[column]
              deviations[column] += deviation * deviation
            }
          }
        }
      }
    }
    self.init(columnCount: d)
    for block in 0..<blockCount {
      let start = block * 2 * d
      let rowsInBlock = min(n, (block + 1) * blockRows) - block * blockRows
      merge(
        ColumnMoments(
          count: Double(rowsInBlock), mean: Array(blocks[start..<(start + d)]),
          squaredDeviations: Array(blocks[(start + d)..<(start + 2 * d)])))
    }
  }
}
