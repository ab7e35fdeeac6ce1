import KMeansKernels

/// Data the initializers can seed from, dense (``PreparedData``) or sparse (``SparseData``):
/// what k-means++, AFK-MC², k-MC² and random seeding need to know about the rows.
protocol SeedableData<Scalar>: Sendable {
  associatedtype Scalar: KMeansScalar
  /// A hashable stand-in for a row's values: equal keys exactly for equal points.
  associatedtype RowKey: Hashable

  var rowCount: Int { get }
  var columnCount: Int { get }
  var metric: DistanceMetric { get }
  var threadCount: Int { get }
  /// One sample weight per row, or nil when every row weighs 1.
  var weights: [Double]? { get }
  /// Parallel chunks of fixed size (results never depend on the thread count).
  var chunkCount: Int { get }
  func rows(ofChunk chunk: Int) -> Range<Int>

  /// The given rows as dense centers (normalised under cosine, as the data).
  func rowsMatrix(_ rowIndices: [Int]) -> Matrix<Scalar>
  /// Distances from every row to each of the given rows: `n × rows.count`, row-major.
  func distances(toRows rowIndices: [Int]) -> [Scalar]
  /// Distances from the rows of `range` to each of `centers` (in the metric's form),
  /// `range.count × centers.rowCount` row-major into `output`.
  func distances(
    ofRows range: Range<Int>, to centers: PreparedCenters<Scalar>,
    into output: UnsafeMutablePointer<Scalar>)
  /// The distance from every row to its nearest center among `centers`.
  func nearestDistances(to centers: Matrix<Scalar>) -> [Scalar]
  /// The distance from every row of `range` to its nearest center among `centers`.
  func nearestDistances(ofRows range: Range<Int>, to centers: Matrix<Scalar>) -> [Scalar]
  /// The distance from row `row` to the nearest of the given rows.
  func nearestDistance(from row: Int, toRows centers: [Int]) -> Scalar
  func rowKey(_ row: Int) -> RowKey
  /// The rows as a dense `Double` matrix, for a caller's initializer closure.
  func denseRowsForCustomInitializer() -> Matrix<Double>
}

extension SeedableData {
  /// The weight of row `row` (1 without weights).
  @inline(__always) func weight(ofRow row: Int) -> Double { weights?[row] ?? 1 }

  /// Σ weights (the row count without weights).
  var totalWeight: Double { weights?.reduce(0, +) ?? Double(rowCount) }

  /// Calls `body` with a pointer to the weights, or nil without weights.
  func withWeightPointer<Result>(_ body: (UnsafePointer<Double>?) -> Result) -> Result {
    guard let weights else { return body(nil) }
    return weights.withUnsafeBufferPointer { body($0.baseAddress!) }
  }
}

/// Data the training loops run on, dense (``PreparedData``) or sparse (``SparseData``):
/// assignment to centers, per-cluster sums, batches of rows.
protocol ClusterableData<Scalar>: SeedableData {
  /// The same data, worked by one thread (for shards that each get their own worker).
  var singleThreaded: Self { get }
  /// Assigns every row to its nearest center; counts the labels that differ from `previous`.
  func assign(to centers: PreparedCenters<Scalar>, previous: [Int32]?) -> Assignment<Scalar>
  /// Every distance to every center as a `rows × k` matrix.
  func allScoresMatrix(to centers: PreparedCenters<Scalar>) -> Matrix<Scalar>
  /// Adds the rows (times their weights) into `total`, bit-identical for any thread count.
  func accumulate(labels: [Int32], into total: inout ClusterSums, threadCount: Int)
  /// A copy of the given rows and their weights.
  func gathered(_ rowIndices: [Int]) -> Self
  /// The mean over features of the per-feature variance (the tolerance scale).
  func meanFeatureVariance() -> Double
}
