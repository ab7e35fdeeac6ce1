import KMeansKernels

/// Rows the engine trains on, dense (``PreparedData``) or sparse (``SparseData``): validated
/// (finite, unit length under cosine, good weights) and cut into fixed chunks, so every result
/// is the same on any thread count. Everything an assignment strategy, the sums, seeding and
/// relocation need to know about the rows.
protocol ClusterableData<Scalar>: Sendable {
  associatedtype Scalar: KMeansScalar
  /// A hashable stand-in for a row's values: equal keys exactly for equal points.
  associatedtype RowKey: Hashable

  var rowCount: Int { get }
  var columnCount: Int { get }
  var metric: DistanceMetric { get }
  var threadCount: Int { get }
  /// One sample weight per row, or nil when every row weighs 1.
  var weights: [Double]? { get }
  /// Rows per parallel chunk: fixed, so results never depend on the thread count.
  static var chunkRows: Int { get }
  /// The number of chunks.
  var chunkCount: Int { get }
  func rows(ofChunk chunk: Int) -> Range<Int>
  /// Whether the kernels read centers transposed (sparse rows).
  static var readsTransposedCenters: Bool { get }
  /// Whether ``LloydAlgorithm/automatic`` runs Hamerly's bounds on such rows (with enough
  /// clusters): yes for dense rows; no for sparse rows, where a row that fails its bound test
  /// is re-assigned alone and the pass ends up slower than Lloyd's (TF-IDF 32 699 × 14 456:
  /// 1.2–1.7× Lloyd's time per iteration at k = 20, 64, 200). ``LloydAlgorithm/hamerly``
  /// still runs them.
  static var boundsPayOff: Bool { get }

  /// What the rows are prepared from: ``Matrix`` or ``SparseMatrix``.
  associatedtype Input

  /// Validates `input` and `weights` (errors name the row counted from `firstRow`; a piece of
  /// a stream, `allowZeroWeight`, may weigh nothing) and prepares it for `metric`.
  init(
    _ input: Input, metric: DistanceMetric, threadCount: Int, weights: [Double]?, firstRow: Int,
    allowZeroWeight: Bool) throws

  /// The same data, worked by one thread (for shards that each get their own worker).
  var singleThreaded: Self { get }

  // MARK: Passes

  /// Every row's nearest center, written at `offset` in `buffers`: from every distance, or
  /// with the bounds `bounds` names (the same labels either way).
  func assignmentPass(
    to centers: PreparedCenters<Scalar>, bounds: PassBounds<Scalar>,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool
  ) -> PassTotals
  /// ``assignmentPass(to:bounds:into:at:countChanges:)`` that also adds the rows into `sums`
  /// where it can while they are in cache (`summed` true), with the bits of ``accumulate(labels:labelOffset:at:into:)``
  /// after the pass; otherwise (`summed` false) the caller accumulates them.
  func assignmentPass(
    to centers: PreparedCenters<Scalar>, bounds: PassBounds<Scalar>,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool,
    summingInto sums: inout ClusterSumsAccumulator<Scalar>
  ) -> (totals: PassTotals, summed: Bool)
  /// Whether ``PassBounds/yinyang(_:)`` runs on such rows (dense rows).
  static var supportsGroupedBounds: Bool { get }
  /// Adds the rows (times their weights) with labels `labels[labelOffset...]` into `sums`, as
  /// the worker's rows from `offset` on.
  func accumulate(
    labels: [Int32], labelOffset: Int, at offset: Int,
    into sums: inout ClusterSumsAccumulator<Scalar>)
  /// Every distance to every center, `rows × k` row-major.
  func allDistances(to centers: PreparedCenters<Scalar>) -> [Scalar]
  /// Every distance to every center as a `rows × k` matrix.
  func allScoresMatrix(to centers: PreparedCenters<Scalar>) -> Matrix<Scalar>
  /// The rows' count, column means and squared deviations from them (unweighted: the
  /// tolerance's scale is scikit-learn's).
  func columnMoments() -> ColumnMoments
  /// Greedy k-means++'s pass (see `SeedingPass`): per chunk, Σ wᵢ·min(closestᵢ, dᵢⱼ) for
  /// each candidate j. `rowNorms` starts empty and keeps what the kernels compute once for
  /// every step (dense rows: ‖x‖²).
  func candidatePotentials(
    _ candidates: PreparedCenters<Scalar>, closest: inout [Scalar],
    candidateDistances: inout [Scalar], rowNorms: inout [Scalar], pending: Int?
  ) -> [Double]

  // MARK: Rows

  /// The given rows as dense centers (normalised under cosine, as the data).
  func rowsMatrix(_ rowIndices: [Int]) -> Matrix<Scalar>
  /// A copy of the given rows and their weights.
  func gathered(_ rowIndices: [Int]) -> Self
  /// The rows in `range` (a view for dense rows), with their weights.
  func rows(_ range: Range<Int>) -> Self
  /// Rows rebuilt from ``serialized(_:)`` messages (possibly of several workers, joined),
  /// with the same settings, already validated.
  func deserialized(_ message: [Double], weights: [Double]?) -> Self
  /// The given rows flattened for a collective (see ``ClusterableData/deserialized(_:weights:)``).
  func serialized(_ rowIndices: [Int]) -> [Double]
  /// Distances from every row to each of the given rows: `n × rows.count`, row-major.
  func distances(toRows rowIndices: [Int]) -> [Scalar]
  /// The distance from row `row` to the nearest of the given rows.
  func nearestDistance(from row: Int, toRows centers: [Int]) -> Scalar
  func rowKey(_ row: Int) -> RowKey
  /// The rows as a dense `Double` matrix, for a caller's initializer closure.
  func denseRowsForCustomInitializer() -> Matrix<Double>
}

/// The initializers read the same data.
typealias SeedableData = ClusterableData

extension ClusterableData {
  /// The weight of row `row` (1 without weights).
  @inline(__always) func weight(ofRow row: Int) -> Double { weights?[row] ?? 1 }

  /// Σ weights (the row count without weights).
  var totalWeight: Double { weights?.reduce(0, +) ?? Double(rowCount) }

  /// Σ wᵢ·closestᵢ per chunk, in row order.
  func seedingChunkTotals(_ closest: [Scalar]) -> [Double] {
    SeedingPass.chunkTotals(
      closest, weights: weights, chunkRows: Self.chunkRows, threadCount: threadCount)
  }

  /// The distance from every row of `range` to its nearest center among `centers`.
  func nearestDistances(ofRows range: Range<Int>, to centers: Matrix<Scalar>) -> [Scalar] {
    rows(range).nearestDistances(to: centers)
  }
}

/// The bounds an assignment pass keeps, with their geometry for this pass (nil: the first pass,
/// which computes every distance and makes the bounds).
enum PassBounds<Scalar: KMeansScalar> {
  /// None: every distance, every pass.
  case none
  /// Hamerly's: one lower bound per row on its distance to every other center.
  case hamerly(BoundGeometry<Scalar>?)
  /// Yinyang's: one lower bound per row and group of centers (dense rows only).
  case yinyang(GroupedBoundGeometry<Scalar>?)
}

extension ClusterableData {
  /// The pass alone: such rows leave the sums to ``accumulate(labels:labelOffset:at:into:)``.
  func assignmentPass(
    to centers: PreparedCenters<Scalar>, bounds: PassBounds<Scalar>,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool,
    summingInto sums: inout ClusterSumsAccumulator<Scalar>
  ) -> (totals: PassTotals, summed: Bool) {
    let totals = assignmentPass(
      to: centers, bounds: bounds, into: &buffers, at: offset, countChanges: countChanges)
    return (totals, false)
  }
}
