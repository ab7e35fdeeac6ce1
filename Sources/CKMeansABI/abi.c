// The declarations of swift_kmeans.h, implemented in Swift by the KMeansC target.
