import KMeans
