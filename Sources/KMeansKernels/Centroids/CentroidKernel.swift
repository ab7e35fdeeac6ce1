/// Sums of the rows assigned to each center.
///
/// Each center's sum is taken in row order, in `Double`, whichever worker owns it: the result
/// is bit-identical for any partition of the centers among workers, hence for any thread count
/// (the rule FAISS uses in `compute_centroids`, with no per-chunk `k × d` buffers).
package enum CentroidKernel<Scalar: KMeansScalar> {
  @inlinable
  static func accumulate(
    points: UnsafePointer<Scalar>, rows: Int, dimension: Int,
    labels: UnsafePointer<Int32>, centers: Range<Int>,
    sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>
  ) {
    let lower = Int32(truncatingIfNeeded: centers.lowerBound)
    let upper = Int32(truncatingIfNeeded: centers.upperBound)
    for row in 0..<rows {
      let label = labels[row]
      guard label >= lower, label < upper else { continue }
      let sum = sums + Int(label) * dimension
      let point = points + row * dimension
      for column in 0..<dimension {
        sum[column] += Double(point[column])
      }
      counts[Int(label)] += 1
    }
  }
}
