/// The first pass of Hamerly's algorithm, and its fallback for points whose bounds fail: the
/// nearest center and a lower bound on the distance to the second nearest, from GEMM tiles as
/// in ``NearestCenterKernel`` (the same comparison values, so the same winner).
package enum BoundedKernel<Scalar: KMeansScalar> {
  @inlinable
  static func nearestTwo(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, lowerBounds: UnsafeMutablePointer<Scalar>,
    scratch: inout AssignmentScratch<Scalar>, gemm: MultiplyTransposed<Scalar>
  ) {
    // Either path writes the runner-up's ‖c‖² − 2x·c into `lowerBounds`; it becomes a bound here.
    if FusedKernel.level == 2 {
      FusedKernel.assign(
        block, labels: labels, distances: distances, scratch: &scratch, level: 2,
        second: lowerBounds)
    } else {
      NearestCenterKernel<Scalar>.assignWithGEMM(
        block, labels: labels, distances: distances, scratch: &scratch, gemm: gemm,
        second: lowerBounds)
    }
    let d = block.dimension
    // GEMM distances carry a rounding error of a few (d + 2)·ε·(‖x‖² + ‖c‖²) (the fused
    // kernel's FMAs less): the bound subtracts a margin of that size to stay a lower bound.
    let marginScale = Scalar(4 * (d + 8)) * Scalar.ulpOfOne
    var largestNorm = Scalar.zero
    for j in 0..<block.centerCount { largestNorm = max(largestNorm, block.centerSquaredNorms[j]) }
    for row in 0..<block.rowCount {
      let point = block.points + row * d
      let rowNorm = VectorKernels.dot(point, point, d)
      let second = lowerBounds[row]
      let margin = marginScale * (rowNorm + largestNorm)
      lowerBounds[row] =
        second.isFinite ? max(0, rowNorm + second - margin).squareRoot() : .infinity
    }
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

  /// One Hamerly E-step over a block of rows whose labels and lower bounds come from the
  /// previous iteration: lowers each bound by `otherShift[label]` (the largest shift of any
  /// other center), computes the exact distance to the row's own center, and keeps the label
  /// when that distance is below max(bound, `halfGaps[label]`); the other rows are re-assigned
  /// together with ``nearestTwo(_:labels:distances:lowerBounds:scratch:gemm:)``.
  /// - Returns: the number of rows re-assigned.
  @inlinable
  static func update(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, lowerBounds: UnsafeMutablePointer<Scalar>,
    halfGaps: UnsafePointer<Scalar>, otherShift: UnsafePointer<Scalar>,
    scratch: inout AssignmentScratch<Scalar>, gemm: MultiplyTransposed<Scalar>
  ) -> Int {
    let d = block.dimension
    var marked: [Int] = []
    for row in 0..<block.rowCount {
      let label = Int(labels[row])
      let point = block.points + row * d
      let lower = lowerBounds[row] - otherShift[label]
      let squared = VectorKernels.squaredDistance(point, block.centers + label * d, d)
      if squared.squareRoot() < max(lower, halfGaps[label]) {
        distances[row] = squared
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
    let group = NearestCenterKernel<Scalar>.tileRows
    var gathered = [Scalar](repeating: 0, count: min(group, marked.count) * d)
    var groupLabels = [Int32](repeating: 0, count: group)
    var groupDistances = [Scalar](repeating: 0, count: group)
    var groupLower = [Scalar](repeating: 0, count: group)
    var start = 0
    while start < marked.count {
      let count = min(group, marked.count - start)
      gathered.withUnsafeMutableBufferPointer { buffer in
        for index in 0..<count {
          (buffer.baseAddress! + index * d).update(
            from: block.points + marked[start + index] * d, count: d)
        }
        var part = block
        part.points = UnsafePointer(buffer.baseAddress!)
        part.rowCount = count
        nearestTwo(
          part, labels: &groupLabels, distances: &groupDistances, lowerBounds: &groupLower,
          scratch: &scratch, gemm: gemm)
      }
      for index in 0..<count {
        let row = marked[start + index]
        labels[row] = groupLabels[index]
        distances[row] = groupDistances[index]
        lowerBounds[row] = groupLower[index]
      }
      start += count
    }
    return marked.count
  }
}
