// CBLAS: the C boundary of swift-kmeans. No stable API: only KMeansKernels imports it.
#ifndef SWIFT_KMEANS_CBLAS_SHIM_H
#define SWIFT_KMEANS_CBLAS_SHIM_H

#include <cblas.h>

#endif
