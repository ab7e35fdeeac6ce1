import Foundation

extension KMeansModel {
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

  /// The distance from every sparse row to every center in the model's metric,
  /// `rowCount × clusterCount` (dense), as `allDistances` gives them for dense rows.
  public func allDistances(_ data: SparseMatrix<Scalar>, threadCount: Int? = nil) throws
    -> Matrix<Scalar>
  {
    let prepared = try prepare(data, threadCount: threadCount)
    return prepared.allScoresMatrix(to: prepared.prepareCenters(centers))
  }

  /// Sparse rows in cluster-distance space (dense): Euclidean distances, or 1 − cos, as
  /// `transform` gives them for dense rows.
  public func transform(_ data: SparseMatrix<Scalar>, threadCount: Int? = nil) throws -> Matrix<
    Scalar
  > {
    euclidean(try allDistances(data, threadCount: threadCount))
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
