import Foundation

extension KMeansModel {
  /// Clusters a sparse CSR matrix: the same algorithms, stopping rules, seedings, weights,
  /// exact bounds and determinism as the dense `fit(_:weights:configuration:progress:isCancelled:)`
  /// for dense data, without densifying the data. Centers are dense.
  ///
  /// Distances are ‖x‖² − 2x·c + ‖c‖² with sparse–dense dot products (O(nnz · k) per
  /// iteration), as scikit-learn's `KMeans` on a `csr_matrix`.
  ///
  /// ```swift
  /// let tfidf = try SVMLightFile.read("docs.svmlight", as: Float.self).matrix
  /// let result = try KMeansModel.fit(tfidf, configuration: .init(clusterCount: 20))
  /// ```
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func fit(
    _ data: SparseMatrix<Scalar>, weights: [Double]? = nil, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansFitResult<Scalar> {
    try configuration.validate()
    return try fitInMemory(
      SparseData(
        data, metric: configuration.metric, threadCount: configuration.resolvedThreadCount,
        weights: weights), configuration: configuration, progress: progress,
      isCancelled: isCancelled)
  }

  /// The nearest center of each sparse row.
  public func predict(_ data: SparseMatrix<Scalar>, threadCount: Int? = nil) throws -> [Int] {
    try predictWithDistances(data, threadCount: threadCount).labels
  }

  /// The nearest center of each sparse row and the distance to it.
  public func predictWithDistances(_ data: SparseMatrix<Scalar>, threadCount: Int? = nil) throws
    -> (labels: [Int], distances: [Scalar])
  {
    let prepared = try prepare(data, threadCount: threadCount)
    let assignment = prepared.assign(to: prepared.prepareCenters(centers))
    return (assignment.labels.map(Int.init), assignment.distances)
  }

  /// Σ wᵢ·distance from each sparse row to its nearest center (see ``score(_:weights:threadCount:)``).
  public func score(
    _ data: SparseMatrix<Scalar>, weights: [Double]? = nil, threadCount: Int? = nil
  ) throws -> Double {
    let prepared = try prepare(data, weights: weights, threadCount: threadCount)
    return prepared.assign(to: prepared.prepareCenters(centers)).loss
  }

  /// The distance from every sparse row to every center, `rowCount × clusterCount` (dense).
  public func transform(_ data: SparseMatrix<Scalar>, threadCount: Int? = nil) throws -> Matrix<
    Scalar
  > {
    let prepared = try prepare(data, threadCount: threadCount)
    return prepared.allScoresMatrix(to: prepared.prepareCenters(centers))
  }

  func prepare(_ data: SparseMatrix<Scalar>, weights: [Double]? = nil, threadCount: Int?) throws
    -> SparseData<Scalar>
  {
    guard data.columnCount == dimension else {
      throw KMeansError.dimensionMismatch(
        expected: dimension, actual: data.columnCount, context: "the model")
    }
    return try SparseData(
      data, metric: metric,
      threadCount: threadCount ?? ProcessInfo.processInfo.activeProcessorCount,
      weights: weights)
  }
}

extension MiniBatchKMeans {
  /// Mini-batch training on a sparse CSR matrix: the same rule, epochs, early stopping and
  /// reassignment as ``fit(_:weights:configuration:miniBatch:progress:isCancelled:)``, with
  /// batches gathered as sparse rows.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func fit(
    _ data: SparseMatrix<Scalar>, weights: [Double]? = nil, configuration: KMeansConfiguration,
    miniBatch: MiniBatchConfiguration = .init(),
    progress: ((Int, StepOutput<Scalar>) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansFitResult<Scalar> {
    var settings = configuration
    settings.miniBatch = miniBatch
    try settings.validate()
    return try KMeansModel.fitInMemory(
      SparseData(
        data, metric: settings.metric, threadCount: settings.resolvedThreadCount, weights: weights),
      configuration: settings, stepProgress: progress, isCancelled: isCancelled)
  }
}
