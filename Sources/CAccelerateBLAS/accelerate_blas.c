// Accelerate's CBLAS through its current interface: ACCELERATE_NEW_LAPACK (set by Package.swift
// for this target; macOS 13.3 and iOS 16.4 or later) selects it, which a Swift target could
// only reach through unsafe compiler flags. Compiles to nothing on other platforms.
#include "accelerate_blas.h"

#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>

void swift_kmeans_sgemm_nt(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                           float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c,
              ldc);
}

void swift_kmeans_dgemm_nt(int m, int n, int k, const double *a, int lda, const double *b,
                           int ldb, double *c, int ldc) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, lda, b, ldb, 0.0, c,
              ldc);
}
#else
// ISO C wants a translation unit to declare something.
typedef int swift_kmeans_accelerate_blas_unused;
#endif
