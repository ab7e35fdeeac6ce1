/// Small dense-vector loops shared by the kernels. Eight independent accumulators let the
/// compiler keep several vector registers busy without reassociating a single sum.
package enum VectorKernels {
  /// x · y over `count` elements.
  @inlinable @inline(__always)
  package static func dot<Scalar: KMeansScalar>(
    _ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, _ count: Int
  ) -> Scalar {
    var lanes = SIMD8<Scalar>()
    var index = 0
    while index + 8 <= count {
      let a = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Scalar>.self)
      let b = UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Scalar>.self)
      lanes += a * b
      index += 8
    }
    var total = lanes.sum()
    while index < count {
      total += x[index] * y[index]
      index += 1
    }
    return total
  }

  /// ‖x − y‖² over `count` elements, computed from the differences (no cancellation).
  @inlinable @inline(__always)
  package static func squaredDistance<Scalar: KMeansScalar>(
    _ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, _ count: Int
  ) -> Scalar {
    var lanes = SIMD8<Scalar>()
    var index = 0
    while index + 8 <= count {
      let a = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Scalar>.self)
      let b = UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Scalar>.self)
      let difference = a - b
      lanes += difference * difference
      index += 8
    }
    var total = lanes.sum()
    while index < count {
      let difference = x[index] - y[index]
      total += difference * difference
      index += 1
    }
    return total
  }
}
