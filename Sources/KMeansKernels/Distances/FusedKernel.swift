import CKMeansSIMD
import Foundation

/// The C micro-kernels of `CKMeansSIMD`: distances and the argmin fused in AVX-512 or AVX2
/// registers (x86-64) or NEON registers (AArch64), for `Float` and `Double`. Chosen once per
/// process from the CPU; `KMEANS_KERNEL=blas` (or `avx2`, or `avx512`) in the environment
/// forces the GEMM path (or AVX2, or AVX-512 without bfloat16 screening, on x86-64) for
/// comparisons. Every kernel gives the same bits.
package enum FusedKernel {
  /// 3: NEON, 2: AVX-512, 1: AVX2, 0: none (GEMM tiles instead).
  package static let level: Int32 = {
    let supported = kmeans_simd_level()
    switch ProcessInfo.processInfo.environment["KMEANS_KERNEL"] {
    case "blas": return 0
    case "avx2": return supported == 1 || supported == 2 ? 1 : 0
    default: return supported
    }
  }()

  /// Whether `Float` assignments that need no runner-up (Lloyd, mini-batch, predict) are
  /// screened with bfloat16 products (`vdpbf16ps`) and confirmed in float32: on AVX-512 CPUs
  /// with AVX512_BF16 unless `KMEANS_KERNEL` names a kernel. Each row's bfloat16 winner is
  /// kept only where its margin over every other center exceeds a proven bound on the
  /// bfloat16 error; the other rows' candidates are evaluated by the float32 kernel. The
  /// labels are the float32 kernel's, bit for bit (`kmeans_simd_assign_bf16_f32`).
  package static let screensWithBFloat16: Bool =
    level == 2 && kmeans_simd_has_bf16() != 0
    && ProcessInfo.processInfo.environment["KMEANS_KERNEL"] == nil

  /// Whether a `Float` block of `dimension` columns against `centers` centers is screened in
  /// bfloat16 (``screensWithBFloat16``): where the pass's arithmetic outweighs the screen's
  /// per-row work (rounding the row, its bound, its distance) — at least 64 columns and
  /// 16,384 products per row; measured slower below (e.g. 100k × 32, k = 64).
  @inlinable
  package static func screens(dimension: Int, centers: Int) -> Bool {
    screensWithBFloat16 && dimension >= 64 && dimension * centers >= 16_384
  }

  /// Whether an assignment of `Scalar` rows at `level`, with or without a runner-up, of a
  /// `dimension × centers` shape goes through the bfloat16 screen: Float, no runner-up, AVX-512
  /// and a shape ``screens(dimension:centers:)`` takes.
  @inlinable
  static func screens<Scalar: KMeansScalar>(
    _: Scalar.Type, level: Int32, runnerUp: Bool, dimension: Int, centers: Int
  ) -> Bool {
    Scalar.self == Float.self && !runnerUp && level == 2
      && screens(dimension: dimension, centers: centers)
  }

  /// The name of the kernel that assigns `Float` (`float`) or `Double` rows of `dimension`
  /// columns to `centers` centers: ``name`` without "bfloat16 screening" where that shape is
  /// not screened (``screens(dimension:centers:)``).
  package static func name(dimension: Int, centers: Int, float: Bool) -> String {
    level == 2 && screensWithBFloat16 && !(float && screens(dimension: dimension, centers: centers))
      ? "fused AVX-512" : name
  }

  /// The name of the kernel in use, for benchmarks.
  package static var name: String {
    switch level {
    case 3: "fused NEON"
    case 2: screensWithBFloat16 ? "fused AVX-512, bfloat16 screening" : "fused AVX-512"
    case 1: "fused AVX2"
    default: "BLAS tiles + argmin"
    }
  }

  /// Centers per panel of the fused kernels of `level` for `Scalar`.
  @inlinable
  package static func panelWidth<Scalar: KMeansScalar>(_: Scalar.Type, level: Int32) -> Int {
    Int(
      Scalar.self == Float.self
        ? kmeans_simd_panel_width(level) : kmeans_simd_panel_width_f64(level))
  }

  /// Packs the block's centers into panels of `width` (`packed`: panels·d·width values) and
  /// their norms padded with +∞ (`packedNorms`: panels·width), zeros for cosine: 1 − x·c is
  /// smallest where −2·x·c is.
  @inlinable
  static func pack<Scalar: KMeansScalar>(
    _ block: DistanceBlock<Scalar>, width: Int, into packed: UnsafeMutablePointer<Scalar>,
    norms packedNorms: UnsafeMutablePointer<Scalar>
  ) {
    let k = block.centerCount
    let d = block.dimension
    let cosine = block.distance == .cosine
    let zeros = [Scalar](repeating: 0, count: cosine ? k : 0)
    zeros.withUnsafeBufferPointer { zeros in
      let norms = cosine ? zeros.baseAddress! : block.centerSquaredNorms
      if Scalar.self == Float.self {
        kmeans_simd_pack_f32(
          UnsafeRawPointer(block.centers).assumingMemoryBound(to: Float.self),
          UnsafeRawPointer(norms).assumingMemoryBound(to: Float.self), Int32(k), Int32(d),
          Int32(width), UnsafeMutableRawPointer(packed).assumingMemoryBound(to: Float.self),
          UnsafeMutableRawPointer(packedNorms).assumingMemoryBound(to: Float.self))
      } else {
        kmeans_simd_pack_f64(
          UnsafeRawPointer(block.centers).assumingMemoryBound(to: Double.self),
          UnsafeRawPointer(norms).assumingMemoryBound(to: Double.self), Int32(k), Int32(d),
          Int32(width), UnsafeMutableRawPointer(packed).assumingMemoryBound(to: Double.self),
          UnsafeMutableRawPointer(packedNorms).assumingMemoryBound(to: Double.self))
      }
    }
  }

  /// Runs `body` with `block` carrying its centers packed for the fused kernels
  /// (``DistanceBlock/packedCenters``), packed here once for every chunk of the pass. Without
  /// a fused kernel, or when already packed, `body` gets `block` unchanged.
  @inlinable
  package static func withPackedCenters<Scalar: KMeansScalar, Result>(
    _ block: DistanceBlock<Scalar>, _ body: (DistanceBlock<Scalar>) -> Result
  ) -> Result {
    guard level > 0, block.packedCenters == nil, block.centerCount > 0 else { return body(block) }
    let width = panelWidth(Scalar.self, level: level)
    let panels = (block.centerCount + width - 1) / width
    let packed = UnsafeMutablePointer<Scalar>.allocate(capacity: panels * block.dimension * width)
    let norms = UnsafeMutablePointer<Scalar>.allocate(capacity: panels * width)
    defer {
      packed.deallocate()
      norms.deallocate()
    }
    pack(block, width: width, into: packed, norms: norms)
    var packedBlock = block
    packedBlock.packedCenters = (UnsafePointer(packed), UnsafePointer(norms))
    return body(packedBlock)
  }

  /// Assigns the block's rows with the fused kernel of `level` (Float or Double), then
  /// recomputes each winner's distance exactly from the differences. The centers are packed
  /// into `scratch` unless the block carries them packed.
  ///
  /// - Parameter second: when given, receives each row's runner-up: the smallest ‖c‖² − 2x·c
  ///   over the centers other than its winner (Hamerly's bounds). The winner is the same with
  ///   or without it.
  @inlinable
  package static func assign<Scalar: KMeansScalar>(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, scratch: inout AssignmentScratch<Scalar>,
    level: Int32, second: UnsafeMutablePointer<Scalar>? = nil
  ) {
    let d = block.dimension
    let k = block.centerCount
    let screened =
      !scratch.screenGaveUp
      && screens(Scalar.self, level: level, runnerUp: second != nil, dimension: d, centers: k)
    if screened {
      let count = kmeans_bf16_scratch_floats(Int32(d), Int32(k))
      if scratch.screening.count < count { scratch.screening = Array(repeating: 0, count: count) }
    }
    if block.packedCenters == nil || level != self.level {
      let width = panelWidth(Scalar.self, level: level)
      let panels = (k + width - 1) / width
      if scratch.dots.count < panels * d * width {
        scratch.dots = Array(repeating: 0, count: panels * d * width)
      }
      if scratch.packedNorms.count < panels * width {
        scratch.packedNorms = Array(repeating: 0, count: panels * width)
      }
      scratch.dots.withUnsafeMutableBufferPointer { packed in
        scratch.packedNorms.withUnsafeMutableBufferPointer { norms in
          var packedBlock = block
          pack(block, width: width, into: packed.baseAddress!, norms: norms.baseAddress!)
          packedBlock.packedCenters = (
            UnsafePointer(packed.baseAddress!), UnsafePointer(norms.baseAddress!)
          )
          let inFloat32 = scratch.screening.withUnsafeMutableBufferPointer { screening in
            assignPacked(
              packedBlock, labels: labels, distances: distances, level: level, second: second,
              screening: screened ? screening.baseAddress : nil)
          }
          if screened && 4 * inFloat32 > block.rowCount { scratch.screenGaveUp = true }
        }
      }
      return
    }
    let inFloat32 = scratch.screening.withUnsafeMutableBufferPointer { screening in
      assignPacked(
        block, labels: labels, distances: distances, level: level, second: second,
        screening: screened ? screening.baseAddress : nil)
    }
    if screened && 4 * inFloat32 > block.rowCount { scratch.screenGaveUp = true }
  }

  /// ``assign(_:labels:distances:scratch:level:second:)`` on a block whose centers are packed;
  /// with `screening` (``screensWithBFloat16``, no runner-up), through the bfloat16 screen.
  /// Returns the rows the screen left to float32 (0 without the screen).
  @inlinable
  static func assignPacked<Scalar: KMeansScalar>(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, level: Int32, second: UnsafeMutablePointer<Scalar>?,
    screening: UnsafeMutablePointer<Float>?
  ) -> Int {
    let d = block.dimension
    let k = block.centerCount
    let (packed, packedNorms) = block.packedCenters!
    if screens(Scalar.self, level: level, runnerUp: second != nil, dimension: d, centers: k),
      let screening
    {
      return kmeans_simd_assign_bf16_f32(
        level, 0, UnsafeRawPointer(block.points).assumingMemoryBound(to: Float.self),
        block.rowCount, Int32(d),
        UnsafeRawPointer(block.centers).assumingMemoryBound(to: Float.self),
        block.distance == .cosine
          ? nil : UnsafeRawPointer(block.centerSquaredNorms).assumingMemoryBound(to: Float.self),
        Int32(k), UnsafeRawPointer(packed).assumingMemoryBound(to: Float.self),
        UnsafeRawPointer(packedNorms).assumingMemoryBound(to: Float.self), labels,
        UnsafeMutableRawPointer(distances).assumingMemoryBound(to: Float.self), screening)
      // The distances too, as the loop below computes them.
    } else if Scalar.self == Float.self {
      // The labels, then the winners' distances as the loop below computes them, a few rows
      // at a time while the rows are in cache.
      kmeans_simd_assign_distances_f32(
        level, UnsafeRawPointer(block.points).assumingMemoryBound(to: Float.self),
        block.rowCount, Int32(d), UnsafeRawPointer(packed).assumingMemoryBound(to: Float.self),
        UnsafeRawPointer(packedNorms).assumingMemoryBound(to: Float.self), Int32(k),
        UnsafeRawPointer(block.centers).assumingMemoryBound(to: Float.self),
        block.distance == .cosine ? 1 : 0, labels,
        UnsafeMutableRawPointer(distances).assumingMemoryBound(to: Float.self),
        second.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) })
      return 0
    } else {
      kmeans_simd_assign_f64(
        level, UnsafeRawPointer(block.points).assumingMemoryBound(to: Double.self),
        block.rowCount, Int32(d), UnsafeRawPointer(packed).assumingMemoryBound(to: Double.self),
        UnsafeRawPointer(packedNorms).assumingMemoryBound(to: Double.self), Int32(k), labels,
        second.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self) })
    }
    let cosine = block.distance == .cosine
    for row in 0..<block.rowCount {
      let point = block.points + row * d
      let center = block.centers + Int(labels[row]) * d
      distances[row] =
        cosine
        ? max(0, 1 - VectorKernels.dot(point, center, d))
        : VectorKernels.squaredDistance(point, center, d)
    }
    return 0
  }

  /// Every distance of the block's rows to its few centers, `rowCount × centerCount`
  /// row-major: ‖x‖² − 2x·c + ‖c‖² clamped at 0, or 1 − x·c (the formulas of the GEMM path),
  /// the dot products from the SIMD kernel for a few centers (two rows × six centers in
  /// registers, the centers read in place). k-means++ uses it for its 2 + ln k candidates a
  /// step, where a GEMM spends as long packing the rows as multiplying them. `rowNorms`: the
  /// rows' ‖x‖² as ``VectorKernels/dot(_:_:_:)`` gives them (k-means++ computes them once for
  /// all its steps), or nil to compute them here.
  @inlinable
  package static func candidateDistances<Scalar: KMeansScalar>(
    _ block: DistanceBlock<Scalar>, rowNorms: UnsafePointer<Scalar>? = nil,
    output: UnsafeMutablePointer<Scalar>
  ) {
    let d = block.dimension
    let m = block.centerCount
    if Scalar.self == Float.self {
      kmeans_simd_dots_f32(
        level, UnsafeRawPointer(block.points).assumingMemoryBound(to: Float.self),
        block.rowCount, Int32(d),
        UnsafeRawPointer(block.centers).assumingMemoryBound(to: Float.self),
        Int32(m), UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self))
    } else {
      kmeans_simd_dots_f64(
        level, UnsafeRawPointer(block.points).assumingMemoryBound(to: Double.self),
        block.rowCount, Int32(d),
        UnsafeRawPointer(block.centers).assumingMemoryBound(to: Double.self), Int32(m),
        UnsafeMutableRawPointer(output).assumingMemoryBound(to: Double.self))
    }
    let cosine = block.distance == .cosine
    for row in 0..<block.rowCount {
      let line = output + row * m
      if cosine {
        for j in 0..<m { line[j] = max(0, 1 - line[j]) }
      } else {
        let point = block.points + row * d
        let rowNorm = rowNorms?[row] ?? VectorKernels.dot(point, point, d)
        for j in 0..<m { line[j] = max(0, rowNorm - 2 * line[j] + block.centerSquaredNorms[j]) }
      }
    }
  }

  /// ``CentroidKernel`` for `Float` rows with AVX-512 or AVX2 conversions and additions: the
  /// same element-wise sums in the same row order, so the same bits.
  @inlinable
  static func accumulate<Scalar: KMeansScalar>(
    points: UnsafePointer<Scalar>, rows: Int, dimension: Int,
    labels: UnsafePointer<Int32>, weights: UnsafePointer<Double>?, centers: Range<Int>,
    sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>,
    weightTotals: UnsafeMutablePointer<Double>
  ) {
    precondition(Scalar.self == Float.self, "the fused kernels are Float only")
    kmeans_simd_accumulate_f32(
      level, UnsafeRawPointer(points).assumingMemoryBound(to: Float.self), rows,
      Int32(dimension), labels, weights, Int32(centers.lowerBound), Int32(centers.upperBound),
      sums, counts, weightTotals)
  }
}
