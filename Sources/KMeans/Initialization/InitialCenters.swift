import KMeansKernels

extension KMeansModel {
  /// Chooses `configuration.clusterCount` initial centers from rows of `data` without
  /// training: greedy k-means++ (``Initialization/kMeansPlusPlus(retries:)``, drawn ∝ weight ·
  /// D², the same draws as the first restart of `fit` on all rows) or distinct rows drawn
  /// uniformly (``Initialization/random``). scikit-learn's `kmeans_plusplus`.
  ///
  /// ```swift
  /// let (centers, rows) = try KMeansModel<Float>.initialCenters(points, configuration: .init(clusterCount: 8))
  /// ```
  ///
  /// - Parameters:
  ///   - data: `rowCount × dimension`, row-major, at least `clusterCount` rows.
  ///   - weights: one sample weight per row (finite, ≥ 0), or nil for 1 each.
  ///   - configuration: the cluster count, the seeding, the metric, the seed and the threads.
  /// - Returns: the centers (rows of `data`, as given) and the index of the row each came from.
  /// - Throws: ``KMeansError`` for an invalid configuration, a seeding other than these two,
  ///   fewer rows than centers, non-finite values, a zero row under cosine or bad weights.
  public static func initialCenters(
    _ data: Matrix<Scalar>, weights: [Double]? = nil, configuration: KMeansConfiguration
  ) throws -> (centers: Matrix<Scalar>, rows: [Int]) {
    try configuration.validate()
    let k = configuration.clusterCount
    guard data.rowCount >= k else {
      throw KMeansError.invalidConfiguration(
        "n_samples=\(data.rowCount) should be >= n_clusters=\(k)")
    }
    let prepared = try PreparedData(
      data, metric: configuration.metric, threadCount: configuration.resolvedThreadCount,
      weights: weights)
    var random = RandomSource(seed: configuration.seed, stream: 0)
    let rows: [Int]
    switch configuration.initialization {
    case .kMeansPlusPlus(let retries):
      rows = prepared.greedyKMeansPlusPlusRows(
        count: k,
        candidates: Initialization.kMeansPlusPlusCandidates(retries: retries, clusterCount: k),
        random: &random)
    case .random where weights == nil:
      rows = prepared.randomDistinctRows(count: k, random: &random)
    default:
      throw KMeansError.invalidConfiguration(
        "initial centers alone come from k-means++ or unweighted random seeding, not \(configuration.initialization.name)"
      )
    }
    var values: [Scalar] = []
    values.reserveCapacity(rows.count * data.columnCount)
    for row in rows { values += data.row(row) }
    return (
      Matrix(checkedValues: values, rowCount: rows.count, columnCount: data.columnCount), rows
    )
  }
}
