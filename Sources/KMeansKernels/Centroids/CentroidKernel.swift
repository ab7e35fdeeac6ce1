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
    let lower = Int32(truncatingIfNeeded: centers.lowerBound)
    let upper = Int32(truncatingIfNeeded: centers.upperBound)
    for row in 0..<rows {
      let label = labels[row]
      guard label >= lower, label < upper else { continue }
      let sum = sums + Int(label) * dimension
      let point = points + row * dimension
      if let weights {
        let weight = weights[row]
        for column in 0..<dimension { sum[column] += weight * Double(point[column]) }
        weightTotals[Int(label)] += weight
      } else {
        for column in 0..<dimension { sum[column] += Double(point[column]) }
        weightTotals[Int(label)] += 1
      }
      counts[Int(label)] += 1
    }
  }
}
