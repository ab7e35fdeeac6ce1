// The one file that calls BLAS. Wrappers check dimensions, skip empty products and hold no logic.

import Synchronization

#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// Converts a dimension to BLAS's 32-bit integer, trapping on overflow (a programmer error:
/// callers tile their work so that every dimension fits).
@usableFromInline
func blasInt(_ value: Int) -> Int32 {
  guard let converted = Int32(exactly: value) else {
    preconditionFailure("BLAS dimension \(value) does not fit in Int32")
  }
  return converted
}

/// CBLAS's general matrix product for one element type (`cblas_sgemm`, `cblas_dgemm`).
typealias GeneralMatrixProduct<Scalar> =
  @Sendable (
    CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, Scalar,
    UnsafePointer<Scalar>?, Int32, UnsafePointer<Scalar>?, Int32, Scalar,
    UnsafeMutablePointer<Scalar>?, Int32
  ) -> Void

/// `C (m × n) = A (m × k, row-major, leading dimension lda) · Bᵀ` where `B` is `n × k`
/// row-major, through `product` (`cblas_sgemm` or `cblas_dgemm`); empty products are skipped.
func blasMultiplyTransposed<Scalar: BinaryFloatingPoint & Sendable>(
  _ product: @escaping GeneralMatrixProduct<Scalar>
) -> MultiplyTransposed<Scalar> {
  let (one, zero): (Scalar, Scalar) = (1, 0)
  return { m, n, k, a, lda, b, ldb, c, ldc in
    guard m > 0, n > 0, k > 0 else { return }
    product(
      CblasRowMajor, CblasNoTrans, CblasTrans, blasInt(m), blasInt(n), blasInt(k), one, a,
      blasInt(lda), b, blasInt(ldb), zero, c, blasInt(ldc))
  }
}

/// ``blasMultiplyTransposed(_:)`` in single precision.
let blasFloatMultiplyTransposed: MultiplyTransposed<Float> = blasMultiplyTransposed(cblas_sgemm)

/// ``blasMultiplyTransposed(_:)`` in double precision.
let blasDoubleMultiplyTransposed: MultiplyTransposed<Double> = blasMultiplyTransposed(cblas_dgemm)

/// Facts about the BLAS library in use, and control of its own thread pool.
package enum BLASLibrary {
  /// A one-line description of the BLAS build and the kernel it selected for this CPU,
  /// e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH … (kernel: Haswell)"`.
  package static var description: String {
    #if canImport(Accelerate)
      return "Accelerate (vecLib)"
    #else
      let config = String(cString: openblas_get_config())
      let core = String(cString: openblas_get_corename())
      return "\(config.trimmingSpaces) (kernel: \(core))"
    #endif
  }

  /// Sets the number of threads BLAS itself may use. Our parallel regions set it to 1 so that
  /// BLAS never oversubscribes the cores our own workers occupy.
  ///
  /// OpenBLAS's setter is not safe to call from several threads at once, so calls are
  /// serialised and skipped when the count is already in force.
  package static func setThreadCount(_ count: Int) {
    #if !canImport(Accelerate)
      let wanted = max(1, count)
      threadCountInForce.withLock { current in
        guard current != wanted else { return }
        openblas_set_num_threads(Int32(clamping: wanted))
        current = wanted
      }
    #endif
  }

  /// Holds BLAS to one thread and stops OpenBLAS's server threads, which spin on
  /// `sched_yield` while idle (on a 2-core machine, a third of a run's CPU time). Only safe
  /// while no other thread can be inside a BLAS call — OpenBLAS does not guard its shutdown —
  /// so the commands call it once, at start-up; a later call that wants threads starts them
  /// again.
  package static func stopIdleThreads() {
    setThreadCount(1)
    #if !canImport(Accelerate)
      swift_kmeans_stop_blas_threads()
    #endif
  }

  private static let threadCountInForce = Mutex<Int>(0)
}

extension String {
  fileprivate var trimmingSpaces: String {
    var text = Substring(self)
    while text.first == " " { text.removeFirst() }
    while text.last == " " { text.removeLast() }
    return String(text)
  }
}
