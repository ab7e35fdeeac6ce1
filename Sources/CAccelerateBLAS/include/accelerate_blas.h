// Accelerate's BLAS for KMeansKernels on Apple platforms. No stable API. Declares nothing
// elsewhere (Linux uses OpenBLAS through the CBLAS module).
#ifndef SWIFT_KMEANS_ACCELERATE_BLAS_H
#define SWIFT_KMEANS_ACCELERATE_BLAS_H

#if defined(__APPLE__)
/// C (m × n) = A (m × k, row-major, leading dimension lda) · Bᵀ, B being n × k row-major.
void swift_kmeans_sgemm_nt(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                           float *c, int ldc);
/// The double-precision twin of swift_kmeans_sgemm_nt.
void swift_kmeans_dgemm_nt(int m, int n, int k, const double *a, int lda, const double *b,
                           int ldb, double *c, int ldc);
#endif

#endif
