// The one file that calls BLAS. Wrappers check dimensions, skip empty products and hold no logic.

#if canImport(Darwin)
  import CAccelerateBLAS
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

/// `C (m × n) = A (m × k, row-major, leading dimension lda) · Bᵀ` where `B` is `n × k`
/// row-major, for one element type, with BLAS's 32-bit dimensions.
typealias TransposedProduct<Scalar> =
  @Sendable (
    Int32, Int32, Int32, UnsafePointer<Scalar>, Int32, UnsafePointer<Scalar>, Int32,
    UnsafeMutablePointer<Scalar>, Int32
  ) -> Void

/// `product` with the package's dimensions: each checked to fit BLAS's integers, empty
/// products skipped.
func blasMultiplyTransposed<Scalar>(
  _ product: @escaping TransposedProduct<Scalar>
) -> MultiplyTransposed<Scalar> {
  { m, n, k, a, lda, b, ldb, c, ldc in
    guard m > 0, n > 0, k > 0 else { return }
    product(
      blasInt(m), blasInt(n), blasInt(k), a, blasInt(lda), b, blasInt(ldb), c, blasInt(ldc))
  }
}

#if canImport(Darwin)
  /// `C = A·Bᵀ` in single precision (Accelerate's `cblas_sgemm`).
  let blasFloatMultiplyTransposed = blasMultiplyTransposed(swift_kmeans_sgemm_nt)
  /// `C = A·Bᵀ` in double precision (Accelerate's `cblas_dgemm`).
  let blasDoubleMultiplyTransposed = blasMultiplyTransposed(swift_kmeans_dgemm_nt)
#else
  /// `C = A·Bᵀ` in single precision (OpenBLAS's `cblas_sgemm`).
  let blasFloatMultiplyTransposed = blasMultiplyTransposed {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, $0, $1, $2, 1, $3, $4, $5, $6, 0, $7, $8)
  }
  /// `C = A·Bᵀ` in double precision (OpenBLAS's `cblas_dgemm`).
  let blasDoubleMultiplyTransposed = blasMultiplyTransposed {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, $0, $1, $2, 1, $3, $4, $5, $6, 0, $7, $8)
  }
#endif

/// Facts about the BLAS library in use, and control of its own thread pool.
package enum BLASLibrary {
  /// A one-line description of the BLAS build and the kernel it selected for this CPU,
  /// e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH … (kernel: Haswell)"`.
  package static var description: String {
    #if canImport(Darwin)
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
    #if !canImport(Darwin)
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
    #if !canImport(Darwin)
      swift_kmeans_stop_blas_threads()
    #endif
  }

  private static let threadCountInForce = LockedValue(0)
}

extension String {
  fileprivate var trimmingSpaces: String {
    var text = Substring(self)
    while text.first == " " { text.removeFirst() }
    while text.last == " " { text.removeLast() }
    return String(text)
  }
}
