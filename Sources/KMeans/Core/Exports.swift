// `KMeansScalar` (Float, Double) is part of this module's API; it lives with the kernels.
@_exported import protocol KMeansKernels.KMeansScalar
