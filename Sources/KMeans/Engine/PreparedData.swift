import KMeansKernels

/// Dense data checked and ready for the kernels: finite, of the right shape, and L2-normalised
/// under the cosine distance (a normalised copy; the caller's matrix is never changed), with
/// optional per-row weights (finite, ≥ 0, not all zero).
struct PreparedData<Scalar: KMeansScalar>: ClusterableData {
  let points: Matrix<Scalar>
  let metric: DistanceMetric
  let threadCount: Int
  /// One weight per row, or nil when every row weighs 1.
  let weights: [Double]?

  /// Rows per parallel chunk. Fixed, so results never depend on the thread count.
  static var chunkRows: Int { AssignmentPass.denseChunkRows }

  var chunkCount: Int { (points.rowCount + Self.chunkRows - 1) / Self.chunkRows }
  var rowCount: Int { points.rowCount }
  var columnCount: Int { points.columnCount }
  var rows: DenseRows<Scalar> { points.denseRows }

  /// The same data, worked by one thread (for shards that each get their own worker).
  var singleThreaded: PreparedData {
    PreparedData(points: points, metric: metric, threadCount: 1, weights: weights)
  }

  private init(
    points: Matrix<Scalar>, metric: DistanceMetric, threadCount: Int, weights: [Double]?
  ) {
    self.points = points
    self.metric = metric
    self.threadCount = threadCount
    self.weights = weights
  }

  /// Validates `data` (non-empty, finite, no zero rows under cosine) and `weights` (one per
  /// row, finite, ≥ 0, not all zero unless `allowZeroWeight`: a piece of a stream may weigh
  /// nothing), and normalises the data for cosine. Errors name the row (counted from
  /// `firstRow`) and column.
  init(
    _ data: Matrix<Scalar>, metric: DistanceMetric, threadCount: Int, weights: [Double]? = nil,
    firstRow: Int = 0, allowZeroWeight: Bool = false
  ) throws {
    guard data.rowCount > 0 else { throw KMeansError.emptyInput("the data has no rows") }
    guard data.columnCount > 0 else { throw KMeansError.emptyInput("the data has no columns") }
    let (values, nonFinite, zeroRow) = RowChecks.prepared(
      data.denseRows, normalize: metric == .cosine, threadCount: threadCount)
    if let bad = nonFinite {
      throw KMeansError.nonFiniteValue(row: firstRow + bad.row, column: bad.column)
    }
    if let weights {
      try Self.validate(
        weights: weights, rowCount: data.rowCount, firstRow: firstRow,
        allowZeroTotal: allowZeroWeight)
    }
    if let zeroRow { throw KMeansError.zeroRowUnderCosine(row: firstRow + zeroRow) }
    self.weights = weights
    self.metric = metric
    self.threadCount = threadCount
    if let values {
      // swift-format-ignore: NeverUseForceTry
      self.points = try! Matrix(
        rowCount: data.rowCount, columnCount: data.columnCount, values: values)
    } else {
      self.points = data
    }
  }

  /// Points already checked and normalised for `metric`, and their weights already
  /// validated (compact rows widened and prepared in one pass, a piece of rows whose weights
  /// were checked whole).
  init(
    prepared points: Matrix<Scalar>, metric: DistanceMetric, threadCount: Int, weights: [Double]?
  ) {
    precondition(weights == nil || weights?.count == points.rowCount, "one weight per row")
    self.init(points: points, metric: metric, threadCount: threadCount, weights: weights)
  }

  /// Checks sample weights: one per row, each finite and ≥ 0, with a positive total (unless
  /// `allowZeroTotal`: a batch of a stream may weigh nothing).
  /// - Throws: ``KMeansError/invalidWeight(row:value:)`` or
  ///   ``KMeansError/shapeMismatch(_:)`` / ``KMeansError/invalidConfiguration(_:)``.
  static func validate(
    weights: [Double], rowCount: Int, firstRow: Int = 0, allowZeroTotal: Bool = false
  ) throws {
    guard weights.count == rowCount else {
      throw KMeansError.shapeMismatch("\(weights.count) sample weights for \(rowCount) rows")
    }
    var total = 0.0
    for (row, weight) in weights.enumerated() {
      guard weight.isFinite, weight >= 0 else {
        throw KMeansError.invalidWeight(row: firstRow + row, value: weight)
      }
      total += weight
    }
    guard total.isFinite, total > 0 || allowZeroTotal else {
      throw KMeansError.invalidConfiguration(
        "the sample weights sum to \(total); at least one must be positive (and the sum finite)")
    }
  }

  /// The same settings over other points (and their weights) that are already validated and
  /// normalised.
  func replacingPoints(_ points: Matrix<Scalar>, weights: [Double]? = nil) -> PreparedData {
    PreparedData(points: points, metric: metric, threadCount: threadCount, weights: weights)
  }

  /// A view of some rows, already validated.
  func rows(_ range: Range<Int>) -> PreparedData {
    PreparedData(
      points: points.rows(range), metric: metric, threadCount: threadCount,
      weights: weights.map { Array($0[range]) })
  }

  /// The row range of parallel chunk `chunk`.
  func rows(ofChunk chunk: Int) -> Range<Int> {
    let start = chunk * Self.chunkRows
    return start..<min(points.rowCount, start + Self.chunkRows)
  }

  var kernelDistance: DistanceKind { metric == .cosine ? .cosine : .squaredEuclidean }

  // MARK: Passes

  func assignmentPass(
    to centers: PreparedCenters<Scalar>, bounds: PassBounds<Scalar>,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool
  ) -> PassTotals {
    pass(to: centers, bounds: bounds, into: &buffers, at: offset, countChanges: countChanges)
  }

  /// The pass `bounds` names, taking the cluster sums itself where `sums` is given.
  private func pass(
    to centers: PreparedCenters<Scalar>, bounds: PassBounds<Scalar>,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool,
    sums: FusedSums? = nil
  ) -> PassTotals {
    switch bounds {
    case .none:
      AssignmentPass.nearest(
        rows, to: centers.kernel, distance: kernelDistance, weights: weights,
        threadCount: threadCount, into: &buffers, at: offset, countChanges: countChanges,
        sums: sums)
    case .hamerly(let geometry):
      AssignmentPass.bounded(
        rows, to: centers.kernel, distance: kernelDistance, geometry: geometry, weights: weights,
        threadCount: threadCount, into: &buffers, at: offset, countChanges: countChanges,
        sums: sums)
    case .yinyang(let geometry):
      AssignmentPass.grouped(
        rows, to: centers.kernel, distance: kernelDistance, geometry: geometry, weights: weights,
        threadCount: threadCount, into: &buffers, at: offset, countChanges: countChanges,
        sums: sums)
    }
  }

  func assignmentPass(
    to centers: PreparedCenters<Scalar>, bounds: PassBounds<Scalar>,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool,
    summingInto sums: inout ClusterSumsAccumulator<Scalar>
  ) -> (totals: PassTotals, summed: Bool) {
    sums.withFusedSums(rows, weights: weights, at: offset, threadCount: threadCount) { fused in
      let totals = pass(
        to: centers, bounds: bounds, into: &buffers, at: offset, countChanges: countChanges,
        sums: fused)
      return (totals, fused != nil)
    }
  }

  static var supportsGroupedBounds: Bool { true }

  func accumulate(
    labels: [Int32], labelOffset: Int, at offset: Int,
    into sums: inout ClusterSumsAccumulator<Scalar>
  ) {
    sums.add(
      rows, labels: labels, labelOffset: labelOffset, weights: weights, at: offset,
      threadCount: threadCount)
  }

  /// Every distance from every row to every center, `n × k` row-major.
  func allDistances(to centers: PreparedCenters<Scalar>) -> [Scalar] {
    AssignmentPass.allDistances(
      rows, to: centers.kernel, distance: kernelDistance, threadCount: threadCount)
  }

  /// Every distance to every center as a `rows × k` matrix.
  func allScoresMatrix(to centers: PreparedCenters<Scalar>) -> Matrix<Scalar> {
    // swift-format-ignore: NeverUseForceTry
    try! Matrix(
      rowCount: points.rowCount, columnCount: centers.count, values: allDistances(to: centers))
  }

  /// The given rows of the data as a matrix.
  func rowsMatrix(_ rowIndices: [Int]) -> Matrix<Scalar> { points.gatheringRows(rowIndices) }

  /// A copy of the given rows (and their weights), already validated.
  func gathered(_ rowIndices: [Int]) -> PreparedData {
    replacingPoints(rowsMatrix(rowIndices), weights: weights.map { w in rowIndices.map { w[$0] } })
  }

  /// Distances from every row to each of the given rows: `n × rows.count`, row-major.
  func distances(toRows rowIndices: [Int]) -> [Scalar] {
    allDistances(to: PreparedCenters(rowsMatrix(rowIndices)))
  }

  func candidatePotentials(
    _ candidates: PreparedCenters<Scalar>, closest: inout [Scalar],
    candidateDistances: inout [Scalar], rowNorms: inout [Scalar], pending: Int?
  ) -> [Double] {
    SeedingPass.candidatePotentials(
      rows, candidates: candidates.kernel, distance: kernelDistance, weights: weights,
      chunkRows: Self.chunkRows, threadCount: threadCount, closest: &closest,
      candidateDistances: &candidateDistances, rowNorms: &rowNorms, pending: pending)
  }

  func deserialized(_ message: [Double], weights: [Double]?) -> PreparedData {
    let d = columnCount
    // swift-format-ignore: NeverUseForceTry
    let matrix = try! Matrix(
      rowCount: message.count / d, columnCount: d, values: message.map { Scalar($0) })
    return replacingPoints(matrix, weights: weights)
  }

  static var readsTransposedCenters: Bool { false }
  static var boundsPayOff: Bool { true }

  /// The rows as `Double` for a custom initializer.
  func denseRowsForCustomInitializer() -> Matrix<Double> { points.converted(to: Double.self) }

  /// Row `row`'s values, with -0 made +0 (so equal points have equal keys).
  func rowKey(_ row: Int) -> [Scalar] { points.row(row).map { $0 == 0 ? 0 : $0 } }

  /// The distance from row `row` to the nearest of `centers` (rows of the data).
  func nearestDistance(from row: Int, toRows centers: [Int]) -> Scalar {
    var best = Scalar.infinity
    for center in centers {
      best = min(best, RowChecks.distance(points.denseRows, row, center, kernelDistance))
    }
    return best
  }

  func columnMoments() -> ColumnMoments { ColumnMoments(rows, threadCount: threadCount) }

  /// The rows, flattened for a collective (values only).
  func serialized(_ rowIndices: [Int]) -> [Double] {
    rowsMatrix(rowIndices).values.map(Double.init)
  }
}

/// Centers in the forms the kernels read: the matrix, ‖c‖² per center, and (for sparse data)
/// the transposed layout.
struct PreparedCenters<Scalar: KMeansScalar>: Sendable {
  let matrix: Matrix<Scalar>
  let kernel: KernelCenters<Scalar>
  /// Only when sparse rows will read them.
  let transposed: TransposedCenterValues<Scalar>?

  init(_ centers: Matrix<Scalar>, transposed: Bool = false) {
    self.matrix = centers
    self.kernel = KernelCenters(
      values: centers.values, count: centers.rowCount, dimension: centers.columnCount)
    self.transposed = transposed ? kernel.transposed() : nil
  }

  var count: Int { kernel.count }
}

/// The result of assigning every row to its nearest center.
struct Assignment<Scalar: KMeansScalar>: Sendable {
  var labels: [Int32]
  var distances: [Scalar]
  /// Σ wᵢ·distanceᵢ (wᵢ = 1 without weights), summed per chunk in Double and added in chunk
  /// order.
  var loss: Double
}

extension ClusterableData {
  /// Assigns every row to its nearest center (every distance).
  func assign(to centers: PreparedCenters<Scalar>) -> Assignment<Scalar> {
    var buffers = AssignmentBuffers<Scalar>(rowCount: rowCount)
    let totals = assignmentPass(
      to: centers, bounds: .none, into: &buffers, at: 0, countChanges: false)
    var loss = 0.0
    totals.addLoss(to: &loss)
    return Assignment(labels: buffers.labels, distances: buffers.distances, loss: loss)
  }

  /// Assigns every row to its nearest center among plain centers (normalised here under
  /// cosine).
  func assign(toCenters centers: Matrix<Scalar>) -> Assignment<Scalar> {
    assign(to: prepareCenters(metric == .cosine ? centers.l2NormalizedRows() : centers))
  }

  /// The distance from every row to its nearest center among `centers`.
  func nearestDistances(to centers: Matrix<Scalar>) -> [Scalar] {
    assign(toCenters: centers).distances
  }

  /// Centers in the form this data's kernels read.
  func prepareCenters(_ centers: Matrix<Scalar>) -> PreparedCenters<Scalar> {
    PreparedCenters(centers, transposed: Self.readsTransposedCenters)
  }
}
