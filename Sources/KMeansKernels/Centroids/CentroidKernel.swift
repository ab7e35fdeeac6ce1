/// Sums of the rows assigned to each center, each row times its weight when weights are given
/// (Σ wᵢxᵢ and Σ wᵢ per center; counts are always of rows).
///
/// The rows are added in row order, in `Double`. Callers either give each worker a block of
/// rows and its own `k × d` buffer (dense data, blocks added in order afterwards) or a range of
/// centers over all rows (sparse data, FAISS's `compute_centroids` rule): either way the
/// result does not depend on the thread count.
package enum CentroidKernel<Scalar: KMeansScalar> {
  @inlinable
  static func accumulate(
    points: UnsafePointer<Scalar>, rows: Int, dimension: Int,
    labels: UnsafePointer<Int32>, weights: UnsafePointer<Double>?, centers: Range<Int>,
    sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>,
    weightTotals: UnsafeMutablePointer<Double>
  ) {
    accumulate(
      rowCount: rows, dimension: dimension, labels: labels, weights: weights, centers: centers,
      sums: sums, counts: counts, weightTotals: weightTotals
    ) { row, weight, sum in
      let point = points + row * dimension
      if let weight {
        for column in 0..<dimension { sum[column] += weight * Double(point[column]) }
      } else {
        for column in 0..<dimension { sum[column] += Double(point[column]) }
      }
    }
  }

  /// The loop of both sum kernels (dense and sparse): for each row, in order, whose label lies
  /// in `centers`, `addRow(row, its weight or nil, its center's sum)`, then the center's count
  /// and weight total (Σ wᵢ, or the count without weights).
  @inlinable @inline(__always)
  static func accumulate(
    rowCount: Int, dimension: Int, labels: UnsafePointer<Int32>,
    weights: UnsafePointer<Double>?, centers: Range<Int>, sums: UnsafeMutablePointer<Double>,
    counts: UnsafeMutablePointer<Int>, weightTotals: UnsafeMutablePointer<Double>,
    addRow: (_ row: Int, _ weight: Double?, _ sum: UnsafeMutablePointer<Double>) -> Void
  ) {
    let lower = Int32(truncatingIfNeeded: centers.lowerBound)
    let upper = Int32(truncatingIfNeeded: centers.upperBound)
    for row in 0..<rowCount {
      let label = labels[row]
      guard label >= lower, label < upper else { continue }
      let weight = weights?[row]
      addRow(row, weight, sums + Int(label) * dimension)
      weightTotals[Int(label)] += weight ?? 1
      counts[Int(label)] += 1
    }
  }
}
