/// Rows of a CSR matrix, borrowed for one kernel call.
package struct SparseRows<Scalar: KMeansScalar>: @unchecked Sendable {
  /// `rowCount + 1` offsets into `columnIndices` and `values`.
  package var rowOffsets: UnsafePointer<Int>
  package var columnIndices: UnsafePointer<Int32>
  package var values: UnsafePointer<Scalar>
  /// ‖x‖² per row (ignored for cosine, where rows have norm 1).
  package var squaredNorms: UnsafePointer<Scalar>
}

/// Dense centers in the layout sparse rows read: transposed (`dimension × centerCount`), so the
/// contribution of one stored value x_j to every dot product x·c is one contiguous axpy over a
/// row of k values.
package struct TransposedCenters<Scalar: KMeansScalar>: @unchecked Sendable {
  /// `dimension × centerCount`, row-major.
  package var values: UnsafePointer<Scalar>
  package var centerCount: Int
  /// ‖c‖² per center.
  package var squaredNorms: UnsafePointer<Scalar>
  package var distance: DistanceKind

  package init(
    values: UnsafePointer<Scalar>, centerCount: Int, squaredNorms: UnsafePointer<Scalar>,
    distance: DistanceKind
  ) {
    self.values = values
    self.centerCount = centerCount
    self.squaredNorms = squaredNorms
    self.distance = distance
  }
}

/// Distances between sparse rows and dense centers without densifying a row: for each row the
/// dot products with all k centers are accumulated from its stored values (O(nnz · k)), then
/// ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖² (clamped at 0), or 1 − x·c for cosine — scikit-learn's
/// `_euclidean_sparse_dense` rule.
package enum SparseKernel<Scalar: KMeansScalar> {
  /// x·cⱼ for every center j into `dots` (k values).
  @inlinable @inline(__always)
  static func dots(
    row: Int, _ rows: SparseRows<Scalar>, _ centers: TransposedCenters<Scalar>,
    into dots: UnsafeMutablePointer<Scalar>
  ) {
    let k = centers.centerCount
    dots.update(repeating: 0, count: k)
    for position in rows.rowOffsets[row]..<rows.rowOffsets[row + 1] {
      let value = rows.values[position]
      let column = centers.values + Int(rows.columnIndices[position]) * k
      var index = 0
      let broadcast = SIMD8<Scalar>(repeating: value)
      while index + 8 <= k {
        let target = UnsafeMutableRawPointer(dots + index)
        let current = target.loadUnaligned(as: SIMD8<Scalar>.self)
        let add = UnsafeRawPointer(column + index).loadUnaligned(as: SIMD8<Scalar>.self)
        target.storeBytes(of: current + broadcast * add, as: SIMD8<Scalar>.self)
        index += 8
      }
      while index < k {
        dots[index] += value * column[index]
        index += 1
      }
    }
  }

  @inlinable @inline(__always)
  static func distance(
    row: Int, center: Int, dot: Scalar, _ rows: SparseRows<Scalar>,
    _ centers: TransposedCenters<Scalar>
  ) -> Scalar {
    if centers.distance == .cosine { return max(0, 1 - dot) }
    return max(0, rows.squaredNorms[row] - 2 * dot + centers.squaredNorms[center])
  }

  /// The nearest center of each row in `range`: labels and distances indexed from
  /// `range.lowerBound`. `scratch` holds k values.
  @inlinable
  static func assign(
    _ rows: SparseRows<Scalar>, range: Range<Int>, centers: TransposedCenters<Scalar>,
    labels: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Scalar>,
    scratch: UnsafeMutablePointer<Scalar>
  ) {
    let k = centers.centerCount
    for row in range {
      dots(row: row, rows, centers, into: scratch)
      var best = Scalar.infinity
      var bestIndex = 0
      for center in 0..<k {
        let value = distance(row: row, center: center, dot: scratch[center], rows, centers)
        if value < best {
          best = value
          bestIndex = center
        }
      }
      labels[row - range.lowerBound] = Int32(bestIndex)
      distances[row - range.lowerBound] = best
    }
  }

  /// Every distance of each row in `range` to every center, `range.count × k` row-major.
  @inlinable
  static func allDistances(
    _ rows: SparseRows<Scalar>, range: Range<Int>, centers: TransposedCenters<Scalar>,
    output: UnsafeMutablePointer<Scalar>
  ) {
    let k = centers.centerCount
    for row in range {
      let line = output + (row - range.lowerBound) * k
      dots(row: row, rows, centers, into: line)
      for center in 0..<k {
        line[center] = distance(row: row, center: center, dot: line[center], rows, centers)
      }
    }
  }

  /// Adds the rows whose label lies in `centers` (times their weights, when given) into `sums`
  /// (Double, `k × dimension`), `counts` and `weightTotals`, in row order.
  @inlinable
  static func accumulate(
    _ rows: SparseRows<Scalar>, rowCount: Int, dimension: Int, labels: UnsafePointer<Int32>,
    weights: UnsafePointer<Double>?, centers: Range<Int>, sums: UnsafeMutablePointer<Double>,
    counts: UnsafeMutablePointer<Int>, weightTotals: UnsafeMutablePointer<Double>
  ) {
    CentroidKernel<Scalar>.accumulate(
      rowCount: rowCount, dimension: dimension, labels: labels, weights: weights,
      centers: centers, sums: sums, counts: counts, weightTotals: weightTotals
    ) { row, weight, sum in
      let weight = weight ?? 1
      for position in rows.rowOffsets[row]..<rows.rowOffsets[row + 1] {
        sum[Int(rows.columnIndices[position])] += weight * Double(rows.values[position])
      }
    }
  }
}
