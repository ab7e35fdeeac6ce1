/// Per-worker buffers for ``NearestCenterKernel``, reused across blocks.
package struct AssignmentScratch<Scalar: KMeansScalar>: @unchecked Sendable {
  /// `tileRows × centerTile` dot products from one GEMM call.
  @usableFromInline var dots: [Scalar] = []
  /// The best value of ‖c‖² − 2x·c seen so far for each row of the tile.
  @usableFromInline var best: [Scalar] = []
  @usableFromInline var bestIndex: [Int32] = []
  /// The centers' norms padded to whole panels (``FusedKernel``), or zeros (cosine GEMM path).
  @usableFromInline var packedNorms: [Scalar] = []
  /// The runner-up value per row of a GEMM tile.
  @usableFromInline var runnerUp: [Scalar] = []
  /// A chunk's labels before a pass, to count the changed ones.
  @usableFromInline var previousLabels: [Int32] = []
  /// The bfloat16 screen's centers, values and confirmation lists (``FusedKernel``).
  @usableFromInline var screening: [Float] = []
  /// Whether a call of this pass found the rows too crowded for the bfloat16 screen (a quarter
  /// of them needed float32): the worker's other calls of the pass go to the float32 kernel
  /// (the same labels; the screen would cost more than it saves).
  package var screenGaveUp = false

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
  /// The values compared, ‖c‖² − 2x·c (−2x·c for cosine), carry a rounding error that
  /// depends on how BLAS blocked the product, which depends on the tile's rows. So that a
  /// row's label never depends on the rows beside it, a row whose runner-up is within twice the
  /// error bound of its winner (a near tie) is settled by the exact distances to every center:
  /// the first center with the smallest ‖x − c‖² (or 1 − x·c). Elsewhere the rounded winner is
  /// the exact one.
  ///
  /// - Parameter second: when given, receives each row's runner-up value (the smallest over
  ///   the centers other than its label; the winner's own value after a settled near tie), for
  ///   Hamerly's bounds.
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
    let cosine = block.distance == .cosine
    Self.reserve(&scratch, rows: tileRows, centers: k, centerTile: centerTile, cosine: cosine)
    var largestNorm = Scalar.zero
    for j in 0..<k { largestNorm = max(largestNorm, block.centerSquaredNorms[j]) }
    let rho = BoundedKernel<Scalar>.errorScale(d)
    scratch.dots.withUnsafeMutableBufferPointer { dotsBuffer in
      scratch.best.withUnsafeMutableBufferPointer { bestBuffer in
        scratch.bestIndex.withUnsafeMutableBufferPointer { indexBuffer in
          scratch.runnerUp.withUnsafeMutableBufferPointer { runnerBuffer in
            scratch.packedNorms.withUnsafeMutableBufferPointer { zeroBuffer in
              let dots = dotsBuffer.baseAddress!
              let best = bestBuffer.baseAddress!
              let bestIndex = indexBuffer.baseAddress!
              let runnerUp = runnerBuffer.baseAddress!
              if cosine { zeroBuffer.baseAddress!.update(repeating: 0, count: k) }
              let allNorms =
                cosine ? UnsafePointer(zeroBuffer.baseAddress!) : block.centerSquaredNorms
              var rowStart = 0
              while rowStart < block.rowCount {
                let rows = min(tileRows, block.rowCount - rowStart)
                let tilePoints = block.points + rowStart * d
                for row in 0..<rows {
                  best[row] = .infinity
                  bestIndex[row] = 0
                  runnerUp[row] = .infinity
                }
                var centerStart = 0
                while centerStart < k {
                  let width = min(centerTile, k - centerStart)
                  gemm(
                    rows, width, d, tilePoints, d, block.centers + centerStart * d, d, dots, width)
                  let norms = allNorms + centerStart
                  for row in 0..<rows {
                    let (first, next, index) = BoundedKernel<Scalar>.smallestTwo(
                      dots: dots + row * width, norms: norms, width: width)
                    // Merge with the centers of earlier tiles (ties keep the earlier index).
                    if first < best[row] {
                      runnerUp[row] = min(best[row], next)
                      best[row] = first
                      bestIndex[row] = Int32(truncatingIfNeeded: centerStart + index)
                    } else {
                      runnerUp[row] = min(runnerUp[row], first)
                    }
                  }
                  centerStart += width
                }
                for row in 0..<rows {
                  let (label, distance, runner) = settle(
                    tilePoints + row * d, best: best[row], index: bestIndex[row],
                    runnerUp: runnerUp[row], block: block, largestNorm: largestNorm, rho: rho)
                  labels[rowStart + row] = label
                  distances[rowStart + row] = distance
                  second?[rowStart + row] = runner
                }
                rowStart += rows
              }
            }
          }
        }
      }
    }
  }

  /// Grows `scratch` to hold a tile of `rows` rows against `centerTile` centers (and the zero
  /// norms cosine compares with).
  @inlinable
  static func reserve(
    _ scratch: inout AssignmentScratch<Scalar>, rows tileRows: Int, centers k: Int,
    centerTile: Int, cosine: Bool
  ) {
    if scratch.dots.count < tileRows * centerTile {
      scratch.dots = Array(repeating: 0, count: tileRows * centerTile)
    }
    if scratch.best.count < tileRows {
      scratch.best = Array(repeating: 0, count: tileRows)
      scratch.bestIndex = Array(repeating: 0, count: tileRows)
    }
    if scratch.runnerUp.count < tileRows { scratch.runnerUp = Array(repeating: 0, count: tileRows) }
    // Cosine compares −2x·c: the same order as 1 − x·c, from zero norms.
    if cosine && scratch.packedNorms.count < k {
      scratch.packedNorms = Array(repeating: 0, count: k)
    }
  }

  /// One row's label, exact distance and runner-up value from its rounded winner `best`
  /// (center `index`) and runner-up: a near tie (within 2ρ(‖x‖² + max ‖c‖²)) is settled by
  /// the exact distances to every center, and its runner-up becomes the winner's value.
  @inlinable @inline(__always)
  static func settle(
    _ point: UnsafePointer<Scalar>, best: Scalar, index: Int32, runnerUp: Scalar,
    block: DistanceBlock<Scalar>, largestNorm: Scalar, rho: Scalar
  ) -> (label: Int32, distance: Scalar, runnerUp: Scalar) {
    let d = block.dimension
    var label = Int(index)
    var runner = runnerUp
    let rowNorm = VectorKernels.dot(point, point, d)
    if runner - best <= 2 * rho * (rowNorm + largestNorm) {
      label = exactNearest(point, block)
      // The bound must hold for every center but the new label.
      runner = best
    }
    let center = block.centers + label * d
    let distance =
      block.distance == .cosine
      ? max(0, 1 - VectorKernels.dot(point, center, d))
      : VectorKernels.squaredDistance(point, center, d)
    return (Int32(truncatingIfNeeded: label), distance, runner)
  }

  /// The first center with the smallest exact distance to `point`: ‖x − c‖² from the
  /// differences, or 1 − x·c.
  @inlinable
  static func exactNearest(_ point: UnsafePointer<Scalar>, _ block: DistanceBlock<Scalar>) -> Int {
    let d = block.dimension
    var best = Scalar.infinity
    var label = 0
    for center in 0..<block.centerCount {
      let centerPoint = block.centers + center * d
      let value =
        block.distance == .cosine
        ? 1 - VectorKernels.dot(point, centerPoint, d)
        : VectorKernels.squaredDistance(point, centerPoint, d)
      if value < best {
        best = value
        label = center
      }
    }
    return label
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
