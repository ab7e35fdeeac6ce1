import CKMeansSIMD
import Foundation

/// The C micro-kernels of `CKMeansSIMD`: distances and the argmin fused in AVX-512 or AVX2
/// registers, for `Float` and `Double`. Chosen once per process from the CPU; `KMEANS_KERNEL=blas`
/// (or `avx2`) in the environment forces the GEMM path (or AVX2) for comparisons.
package enum FusedKernel {
  /// 2: AVX-512, 1: AVX2, 0: none (GEMM tiles instead).
  package static let level: Int32 = {
    let supported = kmeans_simd_level()
    switch ProcessInfo.processInfo.environment["KMEANS_KERNEL"] {
    case "blas": return 0
    case "avx2": return min(supported, 1)
    default: return supported
    }
  }()

  /// The name of the kernel in use, for benchmarks.
  package static var name: String {
    switch level {
    case 2: "fused AVX-512"
    case 1: "fused AVX2"
    default: "BLAS tiles + argmin"
    }
  }

  /// Assigns the block's rows with the fused kernel of `level` (Float or Double), then
  /// recomputes each winner's distance exactly from the differences.
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
    let isFloat = Scalar.self == Float.self
    let d = block.dimension
    let k = block.centerCount
    let width = Int(isFloat ? kmeans_simd_panel_width(level) : kmeans_simd_panel_width_f64(level))
    let panels = (k + width - 1) / width
    if scratch.dots.count < panels * d * width {
      scratch.dots = Array(repeating: 0, count: panels * d * width)
    }
    if scratch.packedNorms.count < panels * width {
      scratch.packedNorms = Array(repeating: 0, count: panels * width)
    }
    if scratch.best.count < k { scratch.best = Array(repeating: 0, count: k) }
    let cosine = block.distance == .cosine
    scratch.dots.withUnsafeMutableBufferPointer { packedBuffer in
      scratch.packedNorms.withUnsafeMutableBufferPointer { normBuffer in
        scratch.best.withUnsafeMutableBufferPointer { zeroBuffer in
          var norms = block.centerSquaredNorms
          if cosine {
            // 1 − x·c is smallest where −2·x·c is: zero norms give the same argmin.
            zeroBuffer.baseAddress!.update(repeating: 0, count: k)
            norms = UnsafePointer(zeroBuffer.baseAddress!)
          }
          let packed = UnsafeMutableRawPointer(packedBuffer.baseAddress!)
          let packedNorms = UnsafeMutableRawPointer(normBuffer.baseAddress!)
          if isFloat {
            kmeans_simd_pack_f32(
              UnsafeRawPointer(block.centers).assumingMemoryBound(to: Float.self),
              UnsafeRawPointer(norms).assumingMemoryBound(to: Float.self), Int32(k), Int32(d),
              Int32(width), packed.assumingMemoryBound(to: Float.self),
              packedNorms.assumingMemoryBound(to: Float.self))
            kmeans_simd_assign_f32(
              level, UnsafeRawPointer(block.points).assumingMemoryBound(to: Float.self),
              block.rowCount, Int32(d), packed.assumingMemoryBound(to: Float.self),
              packedNorms.assumingMemoryBound(to: Float.self), Int32(k), labels,
              second.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) })
          } else {
            kmeans_simd_pack_f64(
              UnsafeRawPointer(block.centers).assumingMemoryBound(to: Double.self),
              UnsafeRawPointer(norms).assumingMemoryBound(to: Double.self), Int32(k), Int32(d),
              Int32(width), packed.assumingMemoryBound(to: Double.self),
              packedNorms.assumingMemoryBound(to: Double.self))
            kmeans_simd_assign_f64(
              level, UnsafeRawPointer(block.points).assumingMemoryBound(to: Double.self),
              block.rowCount, Int32(d), packed.assumingMemoryBound(to: Double.self),
              packedNorms.assumingMemoryBound(to: Double.self), Int32(k), labels,
              second.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self) })
          }
        }
      }
    }
    for row in 0..<block.rowCount {
      let point = block.points + row * d
      let center = block.centers + Int(labels[row]) * d
      distances[row] =
        cosine
        ? max(0, 1 - VectorKernels.dot(point, center, d))
        : VectorKernels.squaredDistance(point, center, d)
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
