// CBLAS: the C boundary of swift-kmeans. No stable API: only KMeansKernels imports it.
#ifndef SWIFT_KMEANS_CBLAS_SHIM_H
#define SWIFT_KMEANS_CBLAS_SHIM_H

#include <cblas.h>

// OpenBLAS (pthreads build) keeps server threads that, between calls, spin on sched_yield for
// a while and may keep spinning: on a 2-core machine they took a third of the CPU time of a
// run whose BLAS calls were all single-threaded. Shutting them down is OpenBLAS's own
// blas_thread_shutdown_ (weak: absent elsewhere); a later call that wants more threads starts
// them again. Not safe while another thread is inside a threaded BLAS call (it then waits
// forever for the stopped threads): call it only before any BLAS work.
int blas_thread_shutdown_(void) __attribute__((weak));

static inline void swift_kmeans_stop_blas_threads(void) {
  if (blas_thread_shutdown_ && openblas_get_parallel() == 1) blas_thread_shutdown_();
}

#endif
