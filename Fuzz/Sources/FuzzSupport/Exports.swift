// The fuzz targets see the library and the checks through this one import.
@_exported import KMeans
@_exported import KMeansEstimator
@_exported import KMeansIO
