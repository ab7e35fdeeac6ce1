/// Small dense-vector loops shared by the kernels. Eight independent accumulators let the
/// compiler keep several vector registers busy without reassociating a single sum.
package enum VectorKernels {
  /// x · y over `count` elements.
  @inlinable @inline(__always)
  package static func dot<Scalar: KMeansScalar>(
    _ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, _ count: Int
  ) -> Scalar {
    sum(x, y, count, lanes: { $0 * $1 }, scalar: { $0 * $1 })
  }

  /// ‖x − y‖² over `count` elements, computed from the differences (no cancellation).
  @inlinable @inline(__always)
  package static func squaredDistance<Scalar: KMeansScalar>(
    _ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, _ count: Int
  ) -> Scalar {
    sum(
      x, y, count, lanes: { ($0 - $1) * ($0 - $1) },
      scalar: { ($0 - $1) * ($0 - $1) })
  }

  /// Σᵢ term(xᵢ, yᵢ): eight lanes over the first multiple of 8 elements (summed lane by lane,
  /// then across in lane order from 0), then the rest in order — the one summation order of both
  /// loops above, and of the bfloat16 screen's distances (`kmeans_simd_assign_bf16_f32`).
  @inlinable @inline(__always)
  static func sum<Scalar: KMeansScalar>(
    _ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, _ count: Int,
    lanes term: (SIMD8<Scalar>, SIMD8<Scalar>) -> SIMD8<Scalar>,
    scalar scalarTerm: (Scalar, Scalar) -> Scalar
  ) -> Scalar {
    var lanes = SIMD8<Scalar>()
    var index = 0
    while index + 8 <= count {
      let a = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Scalar>.self)
      let b = UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Scalar>.self)
      lanes += term(a, b)
      index += 8
    }
    var total: Scalar = 0
    for lane in 0..<8 { total += lanes[lane] }
    while index < count {
      total += scalarTerm(x[index], y[index])
      index += 1
    }
    return total
  }
}
