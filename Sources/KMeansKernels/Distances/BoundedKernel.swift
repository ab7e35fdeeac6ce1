/// Hamerly's exact bounds (G. Hamerly, "Making k-means even faster", SDM 2010) for dense and
/// sparse rows, squared Euclidean and cosine: each row keeps a lower bound L on its Euclidean
/// distance to every center but its own; when the bound (or half the distance from its center
/// to the nearest other center) proves that no other center can be nearer, its label stays and
/// only the distance to its own center is computed.
///
/// The proof is made about the assignment kernels' own choice, not only about true distances:
/// those kernels compare ‖c‖² − 2x·c (or −2x·c for cosine) with a rounding error up to
/// E = ρ·(‖x‖² + max‖c‖²), ρ = 4(d + 8)·ε, so a label is kept only when every other center is
/// farther by a margin M that covers 2E (and, for cosine, the spread of the centers' norms).
/// A row whose test fails is re-assigned by the same kernel as plain Lloyd. Either way the
/// label is exactly plain Lloyd's, on any data (also far from the origin, where the
/// cancellation in ‖c‖² − 2x·c is large and the bounds then simply fail more often).
///
/// Cosine works on the Euclidean geometry of unit vectors: ‖x − c‖² = 2(1 − x·c).
package enum BoundedKernel<Scalar: KMeansScalar> {
  /// ρ: the relative size of the kernels' rounding error for vectors of `dimension` values
  /// (about twice the worst case of a `dimension`-term dot product).
  @inlinable
  static func errorScale(_ dimension: Int) -> Scalar {
    Scalar(4 * (dimension + 8)) * Scalar.ulpOfOne
  }

  /// A lower bound's rounding guard: bounds are scaled down by this after each update.
  @inlinable
  static var shrink: Scalar { 1 - 4 * Scalar.ulpOfOne }

  /// The largest and smallest ‖c‖² of a block's centers.
  @inlinable
  static func normRange(_ block: DistanceBlock<Scalar>) -> (largest: Scalar, smallest: Scalar) {
    normRange(block.centerSquaredNorms, count: block.centerCount)
  }

  /// The largest and smallest of `count` squared norms.
  @inlinable
  static func normRange(_ norms: UnsafePointer<Scalar>, count: Int) -> (
    largest: Scalar, smallest: Scalar
  ) {
    var largest = Scalar.zero
    var smallest = Scalar.infinity
    for j in 0..<count {
      largest = max(largest, norms[j])
      smallest = min(smallest, norms[j])
    }
    return (largest, count > 0 ? smallest : 0)
  }

  /// The smallest of `norms[j] − 2·dots[j]` over `width` values with its first index (the
  /// fused argmin's own choice), and the smallest of the others, from two plain minimum passes
  /// that the compiler vectorises.
  @inlinable @inline(__always)
  static func smallestTwo(
    dots: UnsafePointer<Scalar>, norms: UnsafePointer<Scalar>, width: Int
  ) -> (first: Scalar, second: Scalar, index: Int) {
    let (first, index) = NearestCenterKernel<Scalar>.argminRow(
      dots: dots, width: width, norms: norms)
    return (
      first,
      min(minimum(dots, norms, 0..<index), minimum(dots, norms, (index + 1)..<width)),
      index
    )
  }

  @inlinable @inline(__always)
  static func minimum(
    _ dots: UnsafePointer<Scalar>, _ norms: UnsafePointer<Scalar>, _ range: Range<Int>
  ) -> Scalar {
    var m0 = Scalar.infinity
    var m1 = Scalar.infinity
    var m2 = Scalar.infinity
    var m3 = Scalar.infinity
    var j = range.lowerBound
    while j + 4 <= range.upperBound {
      let v0 = norms[j] - (dots[j] + dots[j])
      let v1 = norms[j + 1] - (dots[j + 1] + dots[j + 1])
      let v2 = norms[j + 2] - (dots[j + 2] + dots[j + 2])
      let v3 = norms[j + 3] - (dots[j + 3] + dots[j + 3])
      m0 = v0 < m0 ? v0 : m0
      m1 = v1 < m1 ? v1 : m1
      m2 = v2 < m2 ? v2 : m2
      m3 = v3 < m3 ? v3 : m3
      j += 4
    }
    while j < range.upperBound {
      let value = norms[j] - (dots[j] + dots[j])
      m0 = value < m0 ? value : m0
      j += 1
    }
    return Swift.min(Swift.min(m0, m1), Swift.min(m2, m3))
  }

  // MARK: Dense rows

  /// The first pass, and the fallback for rows whose bounds fail: each row's label and
  /// distance exactly as the assignment kernel gives them, and its lower bound.
  @inlinable
  static func nearestTwo(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, lowerBounds: UnsafeMutablePointer<Scalar>,
    scratch: inout AssignmentScratch<Scalar>, gemm: MultiplyTransposed<Scalar>
  ) {
    // Either path writes into `lowerBounds` the smallest comparison value over the centers
    // other than the label (the runner-up); it becomes a bound here.
    if FusedKernel.level > 0 {
      FusedKernel.assign(
        block, labels: labels, distances: distances, scratch: &scratch, level: FusedKernel.level,
        second: lowerBounds)
    } else {
      NearestCenterKernel<Scalar>.assignWithGEMM(
        block, labels: labels, distances: distances, scratch: &scratch, gemm: gemm,
        second: lowerBounds)
    }
    let d = block.dimension
    let rho = errorScale(d)
    let (largest, smallest) = normRange(block)
    // Cosine values are −2x·c: the distance to a center of norm ≥ the smallest is at least
    // ‖x‖² + min‖c‖² + value.
    let base = block.distance == .cosine ? smallest : 0
    for row in 0..<block.rowCount {
      let point = block.points + row * d
      let rowNorm = VectorKernels.dot(point, point, d)
      let second = lowerBounds[row]
      let error = rho * (rowNorm + largest)
      lowerBounds[row] =
        second.isFinite ? max(0, rowNorm + base + second - error).squareRoot() * shrink : .infinity
    }
  }

  /// One bounded pass over rows whose labels and lower bounds come from the previous pass:
  /// lowers each bound by `otherShift[label]` (the largest shift of any other center), and
  /// keeps the label when √(U + M) < L or √U < g − M/(4g), with U an upper bound on the
  /// squared distance to the row's own center, M the margin above and g = `halfGaps[label]`
  /// (half the distance to the nearest other center). The other rows are re-assigned with
  /// ``nearestTwo(_:labels:distances:lowerBounds:scratch:gemm:)``.
  /// - Returns: the number of rows re-assigned.
  @inlinable
  static func update(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, lowerBounds: UnsafeMutablePointer<Scalar>,
    halfGaps: UnsafePointer<Scalar>, otherShift: UnsafePointer<Scalar>,
    scratch: inout AssignmentScratch<Scalar>, gemm: MultiplyTransposed<Scalar>
  ) -> Int {
    let d = block.dimension
    let rho = errorScale(d)
    let cosine = block.distance == .cosine
    let (largest, smallest) = normRange(block)
    let spread = cosine ? largest - smallest : 0
    var marked: [Int] = []
    for row in 0..<block.rowCount {
      let label = Int(labels[row])
      let point = block.points + row * d
      let center = block.centers + label * d
      let lower = (lowerBounds[row] - otherShift[label]) * shrink
      let squared = VectorKernels.squaredDistance(point, center, d)
      let upper = squared * (1 + rho)
      let root = upper.squareRoot()
      // ‖x‖ ≤ ‖x − c‖ + ‖c‖ bounds the row's norm without computing it.
      let normBound = root + block.centerSquaredNorms[label].squareRoot()
      let margin = 2 * rho * (normBound * normBound + largest) + spread
      let gap = halfGaps[label]
      if (upper + margin).squareRoot() < lower || (gap > 0 && root < gap - margin / (4 * gap)) {
        distances[row] =
          cosine ? max(0, 1 - VectorKernels.dot(point, center, d)) : squared
        lowerBounds[row] = lower
      } else {
        marked.append(row)
      }
    }
    guard !marked.isEmpty else { return 0 }
    // Early on most bounds fail: re-assigning the whole block then beats gathering rows.
    if marked.count * 2 > block.rowCount {
      nearestTwo(
        block, labels: labels, distances: distances, lowerBounds: lowerBounds, scratch: &scratch,
        gemm: gemm)
      return block.rowCount
    }
    reassignGathered(block, rows: marked, scratch: &scratch, gemm: gemm) {
      row, label, distance, lower in
      labels[row] = label
      distances[row] = distance
      lowerBounds[row] = lower
    }
    return marked.count
  }

  /// Re-assigns the block's rows `rows` with ``nearestTwo(_:labels:distances:lowerBounds:scratch:gemm:)``,
  /// gathered into tiles, and hands each row's label, distance and bound to `write`.
  ///
  /// The kernels' choice for a row does not depend on the rows beside it (the fused kernels
  /// work row by row; the GEMM path settles near ties exactly), so gathered rows get the
  /// labels plain Lloyd gives them.
  @inlinable
  static func reassignGathered(
    _ block: DistanceBlock<Scalar>, rows: [Int], scratch: inout AssignmentScratch<Scalar>,
    gemm: MultiplyTransposed<Scalar>,
    write: (_ row: Int, _ label: Int32, _ distance: Scalar, _ lowerBound: Scalar) -> Void
  ) {
    let d = block.dimension
    let group = NearestCenterKernel<Scalar>.tileRows
    var gathered = [Scalar](repeating: 0, count: min(group, rows.count) * d)
    var groupLabels = [Int32](repeating: 0, count: group)
    var groupDistances = [Scalar](repeating: 0, count: group)
    var groupLower = [Scalar](repeating: 0, count: group)
    var start = 0
    while start < rows.count {
      let count = min(group, rows.count - start)
      gathered.withUnsafeMutableBufferPointer { buffer in
        for index in 0..<count {
          (buffer.baseAddress! + index * d).update(
            from: block.points + rows[start + index] * d, count: d)
        }
        var part = block
        part.points = UnsafePointer(buffer.baseAddress!)
        part.rowCount = count
        nearestTwo(
          part, labels: &groupLabels, distances: &groupDistances, lowerBounds: &groupLower,
          scratch: &scratch, gemm: gemm)
      }
      for index in 0..<count {
        write(rows[start + index], groupLabels[index], groupDistances[index], groupLower[index])
      }
      start += count
    }
  }

  // MARK: Sparse rows

  /// ``nearestTwo(_:labels:distances:lowerBounds:scratch:gemm:)`` for sparse rows: the label
  /// and distance ``SparseKernel`` gives each row of `range`, and its lower bound. Outputs are
  /// indexed from `range.lowerBound`; `scratch` holds k values.
  @inlinable
  static func sparseNearestTwo(
    _ rows: SparseRows<Scalar>, range: Range<Int>, centers: TransposedCenters<Scalar>,
    dimension: Int, labels: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Scalar>,
    lowerBounds: UnsafeMutablePointer<Scalar>, scratch: UnsafeMutablePointer<Scalar>
  ) {
    let k = centers.centerCount
    let rho = errorScale(dimension)
    let cosine = centers.distance == .cosine
    let (largest, smallest) = normRange(centers.squaredNorms, count: k)
    for row in range {
      SparseKernel<Scalar>.dots(row: row, rows, centers, into: scratch)
      var best = Scalar.infinity
      var bestIndex = 0
      for center in 0..<k {
        let value = SparseKernel<Scalar>.distance(
          row: row, center: center, dot: scratch[center], rows, centers)
        if value < best {
          best = value
          bestIndex = center
        }
      }
      // The runner-up before clamping at zero.
      var second = Scalar.infinity
      let rowNorm = rows.squaredNorms[row]
      for center in 0..<k where center != bestIndex {
        let value =
          cosine
          ? 1 - scratch[center] : rowNorm - 2 * scratch[center] + centers.squaredNorms[center]
        second = min(second, value)
      }
      let local = row - range.lowerBound
      labels[local] = Int32(bestIndex)
      distances[local] = best
      let norm = cosine ? 1 : rowNorm
      let error = (cosine ? 2 : 1) * rho * (norm + largest)
      let squared = cosine ? norm + smallest + 2 * (second - 1) - error : second - error
      lowerBounds[local] = second.isFinite ? max(0, squared).squareRoot() * shrink : .infinity
    }
  }

  /// ``update(_:labels:distances:lowerBounds:halfGaps:otherShift:scratch:gemm:)`` for sparse
  /// rows: the distance to a row's own center is computed as ``SparseKernel`` computes it (the
  /// same products added in the same order), so a kept row has plain Lloyd's distance too.
  /// `rowMajorCenters` are the centers as `k × dimension` rows. Outputs are indexed from
  /// `range.lowerBound`. - Returns: the number of rows re-assigned.
  @inlinable
  static func sparseUpdate(
    _ rows: SparseRows<Scalar>, range: Range<Int>, centers: TransposedCenters<Scalar>,
    rowMajorCenters: UnsafePointer<Scalar>, dimension: Int, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, lowerBounds: UnsafeMutablePointer<Scalar>,
    halfGaps: UnsafePointer<Scalar>, otherShift: UnsafePointer<Scalar>,
    scratch: UnsafeMutablePointer<Scalar>
  ) -> Int {
    let k = centers.centerCount
    let rho = errorScale(dimension)
    let cosine = centers.distance == .cosine
    let (largest, smallest) = normRange(centers.squaredNorms, count: k)
    let spread = cosine ? largest - smallest : 0
    var reassigned = 0
    for row in range {
      let local = row - range.lowerBound
      let label = Int(labels[local])
      let center = rowMajorCenters + label * dimension
      var dot = Scalar.zero
      for position in rows.rowOffsets[row]..<rows.rowOffsets[row + 1] {
        dot += rows.values[position] * center[Int(rows.columnIndices[position])]
      }
      let distance = SparseKernel<Scalar>.distance(
        row: row, center: label, dot: dot, rows, centers)
      let norm = cosine ? 1 : rows.squaredNorms[row]
      let error = (cosine ? 2 : 1) * rho * (norm + largest)
      let upper =
        cosine ? norm + centers.squaredNorms[label] - 2 * dot + error : distance + error
      let margin = (cosine ? 1 : 2) * error + spread
      let lower = (lowerBounds[local] - otherShift[label]) * shrink
      let gap = halfGaps[label]
      let root = max(0, upper).squareRoot()
      // A distance clamped at zero could tie with another center's: never kept.
      if distance > 0
        && ((upper + margin).squareRoot() < lower
          || (gap > 0 && root < gap - margin / (4 * gap)))
      {
        distances[local] = distance
        lowerBounds[local] = lower
      } else {
        sparseNearestTwo(
          rows, range: row..<(row + 1), centers: centers, dimension: dimension,
          labels: labels + local, distances: distances + local, lowerBounds: lowerBounds + local,
          scratch: scratch)
        reassigned += 1
      }
    }
    return reassigned
  }

  // MARK: Center geometry

  /// Per center: half the Euclidean distance to the nearest other center, and the largest
  /// shift since `previous` of any *other* center (what its rows' bounds must drop by). Both
  /// carry a margin for rounding, in the safe direction (gaps down, shifts up).
  static func geometry(
    centers: UnsafePointer<Scalar>, previous: UnsafePointer<Scalar>, count k: Int, dimension d: Int
  ) -> (halfGaps: [Scalar], otherShift: [Scalar]) {
    let slack = 1 - Double(4 * (d + 8)) * Double(Scalar.ulpOfOne)
    var shifts = [Double](repeating: 0, count: k)
    var gaps = [Double](repeating: .infinity, count: k)
    for center in 0..<k {
      shifts[center] = Double(
        VectorKernels.squaredDistance(centers + center * d, previous + center * d, d)
      ).squareRoot()
      for other in (center + 1)..<max(center + 1, k) {
        let gap = Double(
          VectorKernels.squaredDistance(centers + center * d, centers + other * d, d)
        ).squareRoot()
        gaps[center] = min(gaps[center], gap)
        gaps[other] = min(gaps[other], gap)
      }
    }
    var largest = 0.0
    var second = 0.0
    var largestIndex = -1
    for (center, shift) in shifts.enumerated() {
      if shift > largest {
        second = largest
        largest = shift
        largestIndex = center
      } else if shift > second {
        second = shift
      }
    }
    let halfGaps = gaps.map { Scalar(0.5 * $0 * slack) }
    let otherShift = (0..<k).map { center in
      Scalar((center == largestIndex ? second : largest) / slack)
    }
    return (halfGaps, otherShift)
  }
}
