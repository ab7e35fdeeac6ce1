#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// General matrix products on row-major arrays (one BLAS GEMM each), for the layers that need
/// products other than the distance kernels' `A · Bᵀ`: the reverse derivatives of the
/// differentiable module (`Gᵀ · X`, `G · C`) and its encoders (`X · W`).
package enum MatrixProduct {
  /// `alpha · op(A) · op(B)`, where `op(A)` is `m × inner` and `op(B)` is `inner × n`; `A` is
  /// stored `m × inner` (or `inner × m` when `transposeA`), `B` `inner × n` (or `n × inner`).
  /// BLAS may use `threads` threads of its own.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func multiply<Scalar: KMeansScalar>(
    _ a: [Scalar], transposeA: Bool, _ b: [Scalar], transposeB: Bool,
    m: Int, n: Int, inner: Int, alpha: Scalar = 1, threads: Int = 1
  ) -> [Scalar] {
    precondition(a.count == m * inner && b.count == inner * n, "matrix product shapes")
    var c = [Scalar](repeating: 0, count: m * n)
    guard m > 0, n > 0, inner > 0 else { return c }
    BLASLibrary.setThreadCount(threads)
    defer { BLASLibrary.setThreadCount(1) }
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          multiply(
            a.baseAddress!, lda: transposeA ? m : inner, transposeA: transposeA, b.baseAddress!,
            ldb: transposeB ? inner : n, transposeB: transposeB, into: c.baseAddress!, ldc: n,
            m: m, n: n, inner: inner, alpha: alpha)
        }
      }
    }
    return c
  }

  /// `c (m × n, leading dimension ldc) = alpha · op(a) · op(b)` on pointers, for kernels that tile
  /// their products; BLAS runs on the threads in force (one inside ``parallelFor``).
  static func multiply<Scalar: KMeansScalar>(
    _ a: UnsafePointer<Scalar>, lda: Int, transposeA: Bool,
    _ b: UnsafePointer<Scalar>, ldb: Int, transposeB: Bool,
    into c: UnsafeMutablePointer<Scalar>, ldc: Int, m: Int, n: Int, inner: Int,
    alpha: Scalar = 1
  ) {
    guard m > 0, n > 0, inner > 0 else { return }
    let orderA = transposeA ? CblasTrans : CblasNoTrans
    let orderB = transposeB ? CblasTrans : CblasNoTrans
    if Scalar.self == Float.self {
      a.withMemoryRebound(to: Float.self, capacity: 1) { a in
        b.withMemoryRebound(to: Float.self, capacity: 1) { b in
          c.withMemoryRebound(to: Float.self, capacity: 1) { c in
            cblas_sgemm(
              CblasRowMajor, orderA, orderB, blasInt(m), blasInt(n), blasInt(inner), Float(alpha),
              a, blasInt(lda), b, blasInt(ldb), 0, c, blasInt(ldc))
          }
        }
      }
    } else {
      a.withMemoryRebound(to: Double.self, capacity: 1) { a in
        b.withMemoryRebound(to: Double.self, capacity: 1) { b in
          c.withMemoryRebound(to: Double.self, capacity: 1) { c in
            cblas_dgemm(
              CblasRowMajor, orderA, orderB, blasInt(m), blasInt(n), blasInt(inner),
              Double(alpha), a, blasInt(lda), b, blasInt(ldb), 0, c, blasInt(ldc))
          }
        }
      }
    }
  }
}
