import KMeansKernels

/// A CSR matrix checked and ready for the kernels: L2-normalised under cosine (a copy), with
/// ‖x‖² per row and optional sample weights. The sparse counterpart of ``PreparedData``.
struct SparseData<Scalar: KMeansScalar>: ClusterableData {
  let matrix: SparseMatrix<Scalar>
  let metric: DistanceMetric
  let threadCount: Int
  let weights: [Double]?
  /// ‖x‖² per row (1 under cosine).
  let squaredNorms: [Scalar]

  /// Rows per parallel chunk. Fixed, so results never depend on the thread count.
  static var chunkRows: Int { AssignmentPass.sparseChunkRows }

  var rowCount: Int { matrix.rowCount }
  var columnCount: Int { matrix.columnCount }
  var chunkCount: Int { (rowCount + Self.chunkRows - 1) / Self.chunkRows }

  func rows(ofChunk chunk: Int) -> Range<Int> {
    let start = chunk * Self.chunkRows
    return start..<min(rowCount, start + Self.chunkRows)
  }

  /// Validates `data` (non-empty; values were checked finite when the matrix was built),
  /// `weights`, and no all-zero row under cosine; normalises rows for cosine.
  init(
    _ data: SparseMatrix<Scalar>, metric: DistanceMetric, threadCount: Int,
    weights: [Double]? = nil, firstRow: Int = 0, allowZeroWeight: Bool = false
  ) throws {
    guard data.rowCount > 0 else { throw KMeansError.emptyInput("the data has no rows") }
    guard data.columnCount > 0 else { throw KMeansError.emptyInput("the data has no columns") }
    if let weights {
      try PreparedData<Scalar>.validate(
        weights: weights, rowCount: data.rowCount, firstRow: firstRow,
        allowZeroTotal: allowZeroWeight)
    }
    var norms = [Scalar](repeating: 0, count: data.rowCount)
    for row in 0..<data.rowCount {
      var sum = Scalar.zero
      for position in data.rowOffsets[row]..<data.rowOffsets[row + 1] {
        let value = data.valueStorage[position]
        sum += value * value
      }
      norms[row] = sum
    }
    if metric == .cosine {
      var values = data.values
      for row in 0..<data.rowCount {
        guard norms[row] > 0 else { throw KMeansError.zeroRowUnderCosine(row: firstRow + row) }
        let scale = 1 / norms[row].squareRoot()
        for position in data.rowOffsets[row]..<data.rowOffsets[row + 1] {
          values[position] *= scale
        }
        norms[row] = 1
      }
      self.matrix = data.replacingValues(values)
    } else {
      self.matrix = data
    }
    self.metric = metric
    self.threadCount = threadCount
    self.weights = weights
    self.squaredNorms = norms
  }

  private init(
    matrix: SparseMatrix<Scalar>, metric: DistanceMetric, threadCount: Int, weights: [Double]?,
    squaredNorms: [Scalar]
  ) {
    self.matrix = matrix
    self.metric = metric
    self.threadCount = threadCount
    self.weights = weights
    self.squaredNorms = squaredNorms
  }

  /// The given rows (with their weights), already validated.
  func gathered(_ rowIndices: [Int]) -> SparseData {
    SparseData(
      matrix: matrix.rows(rowIndices), metric: metric, threadCount: threadCount,
      weights: weights.map { w in rowIndices.map { w[$0] } },
      squaredNorms: rowIndices.map { squaredNorms[$0] })
  }

  /// A view of some rows (copied: CSR rows are small), already validated.
  func rows(_ range: Range<Int>) -> SparseData { gathered(Array(range)) }

  var kernelDistance: DistanceKind { metric == .cosine ? .cosine : .squaredEuclidean }

  /// The kernels' view of the rows.
  var rows: CSRRows<Scalar> {
    CSRRows(
      rowOffsets: matrix.rowOffsets, columnIndices: matrix.indexStorage,
      values: matrix.valueStorage,
      squaredNorms: squaredNorms, columnCount: matrix.columnCount)
  }

  /// The same data, worked by one thread.
  var singleThreaded: SparseData {
    SparseData(
      matrix: matrix, metric: metric, threadCount: 1, weights: weights,
      squaredNorms: squaredNorms)
  }

  static var readsTransposedCenters: Bool { true }
  static var boundsPayOff: Bool { false }

  func candidatePotentials(
    _ candidates: PreparedCenters<Scalar>, closest: inout [Scalar],
    candidateDistances: inout [Scalar], rowNorms _: inout [Scalar], pending: Int?
  ) -> [Double] {
    SeedingPass.candidatePotentials(
      rows, candidates: candidates.transposed ?? candidates.kernel.transposed(),
      distance: kernelDistance, weights: weights, chunkRows: Self.chunkRows,
      threadCount: threadCount, closest: &closest, candidateDistances: &candidateDistances,
      pending: pending)
  }

  func deserialized(_ message: [Double], weights: [Double]?) -> SparseData {
    var offsets = [0]
    var indices: [Int32] = []
    var values: [Scalar] = []
    var norms: [Scalar] = []
    var position = 0
    while position < message.count {
      let count = Int(message[position])
      position += 1
      var norm = Scalar.zero
      for _ in 0..<count {
        indices.append(Int32(message[position]))
        let value = Scalar(message[position + 1])
        values.append(value)
        norm += value * value
        position += 2
      }
      offsets.append(values.count)
      norms.append(metric == .cosine ? 1 : norm)
    }
    return SparseData(
      matrix: SparseMatrix(
        validatedRowCount: offsets.count - 1, columnCount: columnCount, rowOffsets: offsets,
        columnIndices: indices, values: values),
      metric: metric, threadCount: threadCount, weights: weights, squaredNorms: norms)
  }

  // MARK: Passes

  /// Yinyang's bounds never run here: ``BoundStrategy/yinyang`` keeps Hamerly's on sparse rows.
  func assignmentPass(
    to centers: PreparedCenters<Scalar>, bounds: PassBounds<Scalar>,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool
  ) -> PassTotals {
    let transposed = centers.transposed ?? centers.kernel.transposed()
    switch bounds {
    case .none:
      return AssignmentPass.nearest(
        rows, to: transposed, distance: kernelDistance, weights: weights,
        threadCount: threadCount, into: &buffers, at: offset, countChanges: countChanges)
    case .hamerly(let geometry):
      return AssignmentPass.bounded(
        rows, to: centers.kernel, transposed: transposed, distance: kernelDistance,
        geometry: geometry, weights: weights, threadCount: threadCount, into: &buffers,
        at: offset, countChanges: countChanges)
    case .yinyang:
      preconditionFailure("group bounds on sparse rows: the assigner keeps Hamerly's instead")
    }
  }

  static var supportsGroupedBounds: Bool { false }

  func accumulate(
    labels: [Int32], labelOffset: Int, at offset: Int,
    into sums: inout ClusterSumsAccumulator<Scalar>
  ) {
    sums.add(
      rows, labels: labels, labelOffset: labelOffset, weights: weights, threadCount: threadCount)
  }

  /// Every distance from every row to every center, `n × k` row-major.
  func allDistances(to centers: PreparedCenters<Scalar>) -> [Scalar] {
    AssignmentPass.allDistances(
      rows, to: centers.transposed ?? centers.kernel.transposed(), distance: kernelDistance,
      threadCount: threadCount)
  }

  /// Every distance to every center as a `rows × k` matrix.
  func allScoresMatrix(to centers: PreparedCenters<Scalar>) -> Matrix<Scalar> {
    // swift-format-ignore: NeverUseForceTry
    try! Matrix(rowCount: rowCount, columnCount: centers.count, values: allDistances(to: centers))
  }

  // MARK: SeedableData

  func rowsMatrix(_ rowIndices: [Int]) -> Matrix<Scalar> {
    var result = Matrix<Scalar>(zerosWithRowCount: rowIndices.count, columnCount: columnCount)
    for (index, row) in rowIndices.enumerated() {
      for position in matrix.rowOffsets[row]..<matrix.rowOffsets[row + 1] {
        result[index, Int(matrix.indexStorage[position])] += matrix.valueStorage[position]
      }
    }
    return result
  }

  func distances(toRows rowIndices: [Int]) -> [Scalar] {
    allDistances(to: prepareCenters(rowsMatrix(rowIndices)))
  }

  func nearestDistance(from row: Int, toRows centers: [Int]) -> Scalar {
    var best = Scalar.infinity
    for center in centers { best = min(best, rowDistance(row, center)) }
    return best
  }

  /// The distance between two rows, from a merge of their sorted-or-not index lists through a
  /// dense scratch-free dot product (rows are short).
  func rowDistance(_ first: Int, _ second: Int) -> Scalar {
    let a = matrix.rowOffsets[first]..<matrix.rowOffsets[first + 1]
    let b = matrix.rowOffsets[second]..<matrix.rowOffsets[second + 1]
    var dot = Scalar.zero
    for i in a {
      for j in b where matrix.indexStorage[i] == matrix.indexStorage[j] {
        dot += matrix.valueStorage[i] * matrix.valueStorage[j]
      }
    }
    if metric == .cosine { return max(0, 1 - dot) }
    return max(0, squaredNorms[first] - 2 * dot + squaredNorms[second])
  }

  /// A row's stored (column, value) pairs without zeros, in column order.
  func rowKey(_ row: Int) -> [SparseEntry<Scalar>] {
    (matrix.rowOffsets[row]..<matrix.rowOffsets[row + 1])
      .filter { matrix.valueStorage[$0] != 0 }
      .map { SparseEntry(column: matrix.indexStorage[$0], value: matrix.valueStorage[$0]) }
      .sorted { $0.column < $1.column }
  }

  func denseRowsForCustomInitializer() -> Matrix<Double> {
    matrix.dense().converted(to: Double.self)
  }

  /// The moments from two passes over the stored values: the column sums, then the squared
  /// deviations from their means.
  func columnMoments() -> ColumnMoments {
    let count = Double(rowCount)
    let mean = columnSums().map { count > 0 ? $0 / count : 0 }
    return ColumnMoments(
      count: count, mean: mean, squaredDeviations: columnSquaredDeviations(from: mean))
  }

  /// Σ x per column, over the stored values in order.
  private func columnSums() -> [Double] {
    var sums = [Double](repeating: 0, count: columnCount)
    for position in 0..<matrix.nonZeroCount {
      sums[Int(matrix.indexStorage[position])] += Double(matrix.valueStorage[position])
    }
    return sums
  }

  /// Σ (x − mean)² per column: over the stored values, plus mean² for each row that stores no
  /// value in the column.
  private func columnSquaredDeviations(from mean: [Double]) -> [Double] {
    var deviations = [Double](repeating: 0, count: columnCount)
    var stored = [Int](repeating: 0, count: columnCount)
    for position in 0..<matrix.nonZeroCount {
      let column = Int(matrix.indexStorage[position])
      let deviation = Double(matrix.valueStorage[position]) - mean[column]
      deviations[column] += deviation * deviation
      stored[column] += 1
    }
    for column in 0..<columnCount {
      deviations[column] += Double(rowCount - stored[column]) * mean[column] * mean[column]
    }
    return deviations
  }

  /// The rows, flattened for a collective: per row its stored count, then (column, value)
  /// pairs.
  func serialized(_ rowIndices: [Int]) -> [Double] {
    var message: [Double] = []
    for row in rowIndices {
      let range = matrix.rowOffsets[row]..<matrix.rowOffsets[row + 1]
      message.append(Double(range.count))
      for position in range {
        message.append(Double(matrix.indexStorage[position]))
        message.append(Double(matrix.valueStorage[position]))
      }
    }
    return message
  }
}

/// One stored value of a sparse row (a hashable row key).
struct SparseEntry<Scalar: KMeansScalar>: Hashable {
  var column: Int32
  var value: Scalar
}
