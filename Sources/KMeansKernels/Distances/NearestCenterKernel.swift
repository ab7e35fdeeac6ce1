/// Per-worker buffers for ``NearestCenterKernel``, reused across blocks.
package struct AssignmentScratch<Scalar: KMeansScalar>: @unchecked Sendable {
  /// `tileRows × centerTile` dot products from one GEMM call.
  @usableFromInline var dots: [Scalar] = []
  /// The best value of ‖c‖² − 2x·c seen so far for each row of the tile.
  @usableFromInline var best: [Scalar] = []
  @usableFromInline var bestIndex: [Int32] = []
  /// The centers' norms padded to whole panels (``FusedKernel`` only).
  @usableFromInline var packedNorms: [Scalar] = []

  package init() {}

  /// Lends `count` scratch values (the dot-product buffer) to `body`, e.g. for the sparse
  /// kernels' k dot products per row.
  package mutating func withValues<Result>(
    count: Int, _ body: (UnsafeMutablePointer<Scalar>) -> Result
  ) -> Result {
    if dots.count < count { dots = Array(repeating: 0, count: count) }
    return dots.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
  }
}

/// Fused distance tiles and argmin: x is assigned to argminⱼ ‖cⱼ‖² − 2x·cⱼ (‖x‖² is constant
/// per row), where the dot products come from GEMM on tiles of `tileRows × centerTile` that stay
/// in cache. No `n × k` matrix is ever formed. The winner's distance is then recomputed exactly
/// from the differences, so inertia carries no cancellation error.
package enum NearestCenterKernel<Scalar: KMeansScalar> {
  /// Rows per GEMM tile (scikit-learn's chunk size).
  package static var tileRows: Int { 256 }

  /// Centers per GEMM tile: keeps a `tileRows × centerTile` tile near 256 KiB (L2-resident).
  package static var centerTile: Int {
    max(16, (256 * 1024) / (tileRows * MemoryLayout<Scalar>.stride))
  }

  @inlinable
  static func assign(
    _ block: DistanceBlock<Scalar>,
    labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>,
    scratch: inout AssignmentScratch<Scalar>,
    gemm: MultiplyTransposed<Scalar>
  ) {
    if FusedKernel.level > 0 {
      FusedKernel.assign(
        block, labels: labels, distances: distances, scratch: &scratch, level: FusedKernel.level)
      return
    }
    assignWithGEMM(block, labels: labels, distances: distances, scratch: &scratch, gemm: gemm)
  }

  /// GEMM tiles, then a vectorised argmin per row: the portable path.
  ///
  /// - Parameter second: when given (squared Euclidean only), receives each row's
  ///   second-smallest ‖c‖² − 2x·c, for Hamerly's bounds.
  @inlinable
  package static func assignWithGEMM(
    _ block: DistanceBlock<Scalar>,
    labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>,
    scratch: inout AssignmentScratch<Scalar>,
    gemm: MultiplyTransposed<Scalar>,
    second: UnsafeMutablePointer<Scalar>? = nil
  ) {
    let d = block.dimension
    let k = block.centerCount
    let centerTile = min(k, Self.centerTile)
    let tileRows = Self.tileRows
    if scratch.dots.count < tileRows * centerTile {
      scratch.dots = Array(repeating: 0, count: tileRows * centerTile)
    }
    if scratch.best.count < tileRows {
      scratch.best = Array(repeating: 0, count: tileRows)
      scratch.bestIndex = Array(repeating: 0, count: tileRows)
    }
    let cosine = block.distance == .cosine
    scratch.dots.withUnsafeMutableBufferPointer { dotsBuffer in
      scratch.best.withUnsafeMutableBufferPointer { bestBuffer in
        scratch.bestIndex.withUnsafeMutableBufferPointer { indexBuffer in
          let dots = dotsBuffer.baseAddress!
          let best = bestBuffer.baseAddress!
          let bestIndex = indexBuffer.baseAddress!
          var rowStart = 0
          while rowStart < block.rowCount {
            let rows = min(tileRows, block.rowCount - rowStart)
            let tilePoints = block.points + rowStart * d
            // The runner-up of this tile's rows lives in the caller's buffer.
            let runnerUp = second.map { $0 + rowStart }
            for row in 0..<rows {
              best[row] = .infinity
              bestIndex[row] = 0
              runnerUp?[row] = .infinity
            }
            var centerStart = 0
            while centerStart < k {
              let width = min(centerTile, k - centerStart)
              gemm(rows, width, d, tilePoints, d, block.centers + centerStart * d, d, dots, width)
              let norms = cosine ? nil : block.centerSquaredNorms + centerStart
              for row in 0..<rows {
                let line = dots + row * width
                if let runnerUp, let norms {
                  let (first, next, index) = BoundedKernel<Scalar>.smallestTwo(
                    dots: line, norms: norms, width: width)
                  // Merge with the centers of earlier tiles (ties keep the earlier index).
                  if first < best[row] {
                    runnerUp[row] = min(best[row], next)
                    best[row] = first
                    bestIndex[row] = Int32(truncatingIfNeeded: centerStart + index)
                  } else {
                    runnerUp[row] = min(runnerUp[row], first)
                  }
                  continue
                }
                let candidate = argminRow(dots: line, width: width, norms: norms)
                if candidate.value < best[row] {
                  best[row] = candidate.value
                  bestIndex[row] = Int32(truncatingIfNeeded: centerStart + candidate.index)
                }
              }
              centerStart += width
            }
            for row in 0..<rows {
              let label = Int(bestIndex[row])
              let point = tilePoints + row * d
              let center = block.centers + label * d
              let distance: Scalar
              if cosine {
                distance = max(0, 1 - VectorKernels.dot(point, center, d))
              } else {
                distance = VectorKernels.squaredDistance(point, center, d)
              }
              labels[rowStart + row] = Int32(truncatingIfNeeded: label)
              distances[rowStart + row] = distance
            }
            rowStart += rows
          }
        }
      }
    }
  }

  /// The first index minimising `norms[j] − 2·dots[j]` (or `−dots[j]` when `norms` is nil).
  ///
  /// Tracking an index per SIMD lane does not vectorise well in Swift; a minimum per block of
  /// 16 followed by a rescan of the winning block does, and gives the same first index. Both passes compute the
  /// value with the same operations, so the equality test is exact.
  @inlinable @inline(__always)
  static func argminRow(
    dots: UnsafePointer<Scalar>, width: Int, norms: UnsafePointer<Scalar>?
  ) -> (value: Scalar, index: Int) {
    // Blocks of 16: four independent running minima per block (`x < m ? x : m` lowers to
    // `minps`), then one predictable branch per block remembers the first block holding the
    // smallest value. Only that block is scanned again for the index.
    var best = Scalar.infinity
    var bestBlock = -1
    var j = 0
    while j + 16 <= width {
      var m0 = value(dots, norms, j)
      var m1 = value(dots, norms, j + 1)
      var m2 = value(dots, norms, j + 2)
      var m3 = value(dots, norms, j + 3)
      var offset = 4
      while offset < 16 {
        let v0 = value(dots, norms, j + offset)
        let v1 = value(dots, norms, j + offset + 1)
        let v2 = value(dots, norms, j + offset + 2)
        let v3 = value(dots, norms, j + offset + 3)
        m0 = v0 < m0 ? v0 : m0
        m1 = v1 < m1 ? v1 : m1
        m2 = v2 < m2 ? v2 : m2
        m3 = v3 < m3 ? v3 : m3
        offset += 4
      }
      let blockMinimum = Swift.min(Swift.min(m0, m1), Swift.min(m2, m3))
      if blockMinimum < best {
        best = blockMinimum
        bestBlock = j
      }
      j += 16
    }
    var tailIndex = -1
    while j < width {
      let candidate = value(dots, norms, j)
      if candidate < best {
        best = candidate
        tailIndex = j
      }
      j += 1
    }
    if tailIndex >= 0 { return (best, tailIndex) }
    if bestBlock >= 0 {
      for index in bestBlock..<(bestBlock + 16) where value(dots, norms, index) == best {
        return (best, index)
      }
    }
    return (best, 0)  // Only when every value is NaN, which finite inputs cannot produce.
  }

  @inlinable @inline(__always)
  static func value(_ dots: UnsafePointer<Scalar>, _ norms: UnsafePointer<Scalar>?, _ j: Int)
    -> Scalar
  {
    if let norms { return norms[j] - (dots[j] + dots[j]) }
    return -dots[j]
  }

  /// Writes every distance of the block's rows to every center, `rowCount × centerCount`
  /// row-major: ‖x‖² − 2x·c + ‖c‖² clamped at 0, or 1 − x·c for cosine.
  @inlinable
  static func allDistances(
    _ block: DistanceBlock<Scalar>,
    output: UnsafeMutablePointer<Scalar>,
    gemm: MultiplyTransposed<Scalar>
  ) {
    let d = block.dimension
    let k = block.centerCount
    gemm(block.rowCount, k, d, block.points, d, block.centers, d, output, k)
    for row in 0..<block.rowCount {
      let line = output + row * k
      if block.distance == .cosine {
        for j in 0..<k { line[j] = max(0, 1 - line[j]) }
      } else {
        let point = block.points + row * d
        let rowNorm = VectorKernels.dot(point, point, d)
        for j in 0..<k { line[j] = max(0, rowNorm - 2 * line[j] + block.centerSquaredNorms[j]) }
      }
    }
  }
}
