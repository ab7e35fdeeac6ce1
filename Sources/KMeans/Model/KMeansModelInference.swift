import Foundation

/// Inference with a model, on every kind of input: dense or sparse rows in memory, or a source
/// read a batch at a time (``KMeansTrainable``, as `fit` takes them).
extension KMeansModel {
  /// The index of the nearest center of each row of `data`.
  /// - Throws: ``KMeansError`` for empty data, a dimension mismatch, NaN or infinity (naming
  ///   the row), or a zero row under cosine.
  public func predict<Data: KMeansTrainable>(_ data: Data, threadCount: Int? = nil) throws
    -> [Int] where Data.Scalar == Scalar
  {
    try predictWithDistances(data, threadCount: threadCount).labels
  }

  /// The nearest center of each row and the distance to it (squared Euclidean or 1 − cos).
  public func predictWithDistances<Data: KMeansTrainable>(
    _ data: Data, threadCount: Int? = nil
  ) throws -> (labels: [Int], distances: [Scalar]) where Data.Scalar == Scalar {
    var labels: [Int] = []
    var distances: [Scalar] = []
    try forEachAssignment(data.trainingRows, weights: nil, threadCount: threadCount) {
      labels += $0.labels.map(Int.init)
      distances += $0.distances
    }
    return (labels, distances)
  }

  /// Σ wᵢ·distance from each row to its nearest center (wᵢ = 1 without `weights`; a source
  /// carries its own): TensorFlow's `score` (scikit-learn's `score(X, sample_weight=w)` is its
  /// negative).
  /// - Throws: ``KMeansError/invalidWeight(row:value:)`` for a negative or non-finite weight,
  ///   or a shape error when `weights` does not have one value per row.
  public func score<Data: KMeansTrainable>(
    _ data: Data, weights: [Double]? = nil, threadCount: Int? = nil
  ) throws -> Double where Data.Scalar == Scalar {
    var loss = 0.0
    try forEachAssignment(data.trainingRows, weights: weights, threadCount: threadCount) {
      loss += $0.loss
    }
    return loss
  }

  /// The distance from every row to every center, `rowCount × clusterCount`, in the model's
  /// metric: squared Euclidean ‖x − c‖², or 1 − cos (TensorFlow's `all_distances`). This and
  /// ``transform(_:threadCount:)`` are the calls that allocate `n × k`.
  public func allDistances<Data: KMeansTrainable>(_ data: Data, threadCount: Int? = nil) throws
    -> Matrix<Scalar> where Data.Scalar == Scalar
  {
    var pieces: [Matrix<Scalar>] = []
    try forEachPrepared(
      data.trainingRows, weights: nil, threadCount: threadCount,
      dense: { pieces.append($0.allScoresMatrix(to: $0.prepareCenters(centers))) },
      sparse: { pieces.append($0.allScoresMatrix(to: $0.prepareCenters(centers))) })
    if pieces.count == 1 { return pieces[0] }
    // A source's pieces are joined once (appending matrix to matrix would copy the rows so far
    // for every piece).
    return try Matrix(
      rowCount: pieces.reduce(0) { $0 + $1.rowCount }, columnCount: clusterCount,
      values: pieces.flatMap(\.values))
  }

  /// The rows in cluster-distance space, `rowCount × clusterCount`: the Euclidean distance
  /// ‖x − c‖ to every center for a squared Euclidean model (scikit-learn's and TensorFlow's
  /// `transform`), 1 − cos for a cosine one. ``allDistances(_:threadCount:)`` gives the squared
  /// distances.
  public func transform<Data: KMeansTrainable>(_ data: Data, threadCount: Int? = nil) throws
    -> Matrix<Scalar> where Data.Scalar == Scalar
  {
    euclidean(try allDistances(data, threadCount: threadCount))
  }

  /// `distances` (in the model's metric) as ``transform(_:threadCount:)`` returns them.
  func euclidean(_ distances: Matrix<Scalar>) -> Matrix<Scalar> {
    guard metric == .squaredEuclidean else { return distances }
    var roots = distances
    for row in 0..<roots.rowCount {
      for column in 0..<roots.columnCount {
        roots[row, column] = max(0, roots[row, column]).squareRoot()
      }
    }
    return roots
  }

  /// The nearest-center assignment of `rows`, a piece at a time for a source.
  private func forEachAssignment(
    _ rows: TrainingRows<Scalar>, weights: [Double]?, threadCount: Int?,
    _ body: (Assignment<Scalar>) throws -> Void
  ) throws {
    try forEachPrepared(
      rows, weights: weights, threadCount: threadCount,
      dense: { try body($0.assign(to: $0.prepareCenters(centers))) },
      sparse: { try body($0.assign(to: $0.prepareCenters(centers))) })
  }

  /// `rows` prepared for this model's metric and dimension: all of them in memory, or one
  /// batch of a source after another (with the source's weights, a batch's all zero allowed).
  private func forEachPrepared(
    _ rows: TrainingRows<Scalar>, weights: [Double]?, threadCount: Int?,
    dense: (PreparedData<Scalar>) throws -> Void, sparse: (SparseData<Scalar>) throws -> Void
  ) throws {
    let threads = threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    func check(_ columns: Int) throws {
      guard columns == dimension else {
        throw KMeansError.dimensionMismatch(
          expected: dimension, actual: columns, context: "the model")
      }
    }
    try rows.refuseWeightsBesideStream(weights)
    switch rows {
    case .dense(let matrix):
      try check(matrix.columnCount)
      try dense(PreparedData(matrix, metric: metric, threadCount: threads, weights: weights))
    case .sparse(let matrix):
      try check(matrix.columnCount)
      try sparse(SparseData(matrix, metric: metric, threadCount: threads, weights: weights))
    case .compact(let matrix):
      try check(matrix.columnCount)
      let pieces = try CompactRows(matrix, weights: weights, metric: metric, threadCount: threads)
      try pieces.forEachPiece { piece, _ in try dense(piece) }
    case .stream(let source):
      try check(source.columnCount)
      var pieces = StreamRows(source, metric: metric, threadCount: threads)
      try pieces.forEachPiece { piece, _ in try dense(piece) }
    case .sparseStream(let source):
      try check(source.columnCount)
      var pieces = StreamRows(sparse: source, metric: metric, threadCount: threads)
      try pieces.forEachPiece { piece, _ in try sparse(piece) }
    }
  }
}
