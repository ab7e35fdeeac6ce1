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
  static var chunkRows: Int { 2048 }

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
    weights: [Double]? = nil
  ) throws {
    guard data.rowCount > 0 else { throw KMeansError.emptyInput("the data has no rows") }
    guard data.columnCount > 0 else { throw KMeansError.emptyInput("the data has no columns") }
    if let weights { try PreparedData<Scalar>.validate(weights: weights, rowCount: data.rowCount) }
    var norms = [Scalar](repeating: 0, count: data.rowCount)
    for row in 0..<data.rowCount {
      var sum = Scalar.zero
      for position in data.rowOffsets[row]..<data.rowOffsets[row + 1] {
        sum += data.values[position] * data.values[position]
      }
      norms[row] = sum
    }
    if metric == .cosine {
      var values = data.values
      for row in 0..<data.rowCount {
        guard norms[row] > 0 else { throw KMeansError.zeroRowUnderCosine(row: row) }
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

  var kernelDistance: DistanceKind { metric == .cosine ? .cosine : .squaredEuclidean }

  /// Calls `body` with the kernels' view of the rows.
  func withRows<Result>(_ body: (SparseRows<Scalar>) -> Result) -> Result {
    matrix.rowOffsets.withUnsafeBufferPointer { offsets in
      matrix.columnIndices.withUnsafeBufferPointer { indices in
        matrix.values.withUnsafeBufferPointer { values in
          squaredNorms.withUnsafeBufferPointer { norms in
            // An empty matrix still needs valid pointers.
            let dummyIndex = Int32(0)
            let dummyValue = Scalar.zero
            return withUnsafePointer(to: dummyIndex) { indexFallback in
              withUnsafePointer(to: dummyValue) { valueFallback in
                body(
                  SparseRows(
                    rowOffsets: offsets.baseAddress!,
                    columnIndices: indices.baseAddress ?? indexFallback,
                    values: values.baseAddress ?? valueFallback,
                    squaredNorms: norms.baseAddress!))
              }
            }
          }
        }
      }
    }
  }

  // MARK: Distances

  /// Assigns every row to its nearest center (centers in the metric's form: unit rows under
  /// cosine), on `threadCount` workers.
  func assign(to centers: PreparedCenters<Scalar>, previous: [Int32]?) -> Assignment<Scalar> {
    assign(toCenters: centers.centers, previous: previous)
  }

  /// Every distance to every center as a `rows × k` matrix.
  func allScoresMatrix(to centers: PreparedCenters<Scalar>) -> Matrix<Scalar> {
    // swift-format-ignore: NeverUseForceTry
    try! Matrix(
      rowCount: rowCount, columnCount: centers.centers.rowCount,
      values: allDistances(to: centers.centers))
  }

  /// The same data, worked by one thread.
  var singleThreaded: SparseData {
    SparseData(
      matrix: matrix, metric: metric, threadCount: 1, weights: weights,
      squaredNorms: squaredNorms)
  }

  /// ``assign(to:previous:)`` with plain centers (unit rows under cosine).
  func assign(toCenters centers: Matrix<Scalar>, previous: [Int32]? = nil) -> Assignment<Scalar> {
    let k = centers.rowCount
    let transposed = TransposedCenterValues(centers)
    return withRows { sparseRows in
      transposed.withCenters(distance: kernelDistance) { centerView in
        assignByChunks(previous: previous) { range, labels, distances, scratch in
          // k dot products per row, in the worker's scratch.
          scratch.withValues(count: k) { dots in
            Scalar._kernels.sparseAssign(sparseRows, range, centerView, labels, distances, dots)
          }
          return 0
        }.assignment
      }
    }
  }

  /// Every distance from every row to every center, `n × k` row-major.
  func allDistances(to centers: Matrix<Scalar>) -> [Scalar] {
    let k = centers.rowCount
    var output = [Scalar](repeating: 0, count: rowCount * k)
    let transposed = TransposedCenterValues(centers)
    withRows { sparseRows in
      transposed.withCenters(distance: kernelDistance) { centerView in
        output.withUnsafeMutableBufferPointer { buffer in
          let target = UnsafeSendable(buffer.baseAddress!)
          parallelFor(chunkCount: chunkCount, threadCount: threadCount) { chunk, _ in
            let range = rows(ofChunk: chunk)
            Scalar._kernels.sparseAllDistances(
              sparseRows, range, centerView, target.value + range.lowerBound * k)
          }
        }
      }
    }
    return output
  }

  /// Adds the rows (times their weights) into `total`, cluster by cluster, with the clusters
  /// split among workers by their point counts; bit-identical for any thread count.
  func accumulate(labels: [Int32], into total: inout ClusterSums, threadCount: Int) {
    let k = total.clusterCount
    let d = columnCount
    var rowCounts = [Int](repeating: 0, count: k)
    for label in labels { rowCounts[Int(label)] += 1 }
    let ranges = PreparedData<Scalar>.balancedRanges(counts: rowCounts, parts: threadCount)
    let n = rowCount
    withRows { sparseRows in
      labels.withUnsafeBufferPointer { labelBuffer in
        total.sums.withUnsafeMutableBufferPointer { sumBuffer in
          total.counts.withUnsafeMutableBufferPointer { countBuffer in
            total.weights.withUnsafeMutableBufferPointer { weightTotalBuffer in
              withWeightPointer { weightBase in
                let shared = UnsafeSendable(
                  (
                    labelBuffer.baseAddress!, sumBuffer.baseAddress!, countBuffer.baseAddress!,
                    weightTotalBuffer.baseAddress!, weightBase
                  ))
                parallelFor(chunkCount: ranges.count, threadCount: threadCount) { part, _ in
                  let (labels, sums, counts, weightTotals, weights) = shared.value
                  Scalar._kernels.sparseAccumulate(
                    sparseRows, n, d, labels, weights, ranges[part], sums, counts, weightTotals)
                }
              }
            }
          }
        }
      }
    }
  }

  // MARK: SeedableData

  func rowsMatrix(_ rowIndices: [Int]) -> Matrix<Scalar> {
    var result = Matrix<Scalar>(zerosWithRowCount: rowIndices.count, columnCount: columnCount)
    for (index, row) in rowIndices.enumerated() {
      for position in matrix.rowOffsets[row]..<matrix.rowOffsets[row + 1] {
        result[index, Int(matrix.columnIndices[position])] += matrix.values[position]
      }
    }
    return result
  }

  func distances(
    ofRows range: Range<Int>, to centers: PreparedCenters<Scalar>,
    into output: UnsafeMutablePointer<Scalar>
  ) {
    let transposed = TransposedCenterValues(centers.centers)
    withRows { sparseRows in
      transposed.withCenters(distance: kernelDistance) { centerView in
        Scalar._kernels.sparseAllDistances(sparseRows, range, centerView, output)
      }
    }
  }

  func distances(toRows rowIndices: [Int]) -> [Scalar] {
    allDistances(to: rowsMatrix(rowIndices))
  }

  func nearestDistances(to centers: Matrix<Scalar>) -> [Scalar] {
    assign(toCenters: metric == .cosine ? centers.l2NormalizedRows() : centers).distances
  }

  func nearestDistances(ofRows range: Range<Int>, to centers: Matrix<Scalar>) -> [Scalar] {
    gathered(Array(range)).nearestDistances(to: centers)
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
      for j in b where matrix.columnIndices[i] == matrix.columnIndices[j] {
        dot += matrix.values[i] * matrix.values[j]
      }
    }
    if metric == .cosine { return max(0, 1 - dot) }
    return max(0, squaredNorms[first] - 2 * dot + squaredNorms[second])
  }

  /// A row's stored (column, value) pairs without zeros, in column order.
  func rowKey(_ row: Int) -> [SparseEntry<Scalar>] {
    (matrix.rowOffsets[row]..<matrix.rowOffsets[row + 1])
      .filter { matrix.values[$0] != 0 }
      .map { SparseEntry(column: matrix.columnIndices[$0], value: matrix.values[$0]) }
      .sorted { $0.column < $1.column }
  }

  func denseRowsForCustomInitializer() -> Matrix<Double> {
    matrix.dense().converted(to: Double.self)
  }

  /// The mean over features of the per-feature variance (scikit-learn's tolerance scale,
  /// `mean_variance_axis` for sparse input).
  func meanFeatureVariance() -> Double {
    let n = Double(rowCount)
    var sums = [Double](repeating: 0, count: columnCount)
    var squares = [Double](repeating: 0, count: columnCount)
    for position in 0..<matrix.nonZeroCount {
      let column = Int(matrix.columnIndices[position])
      let value = Double(matrix.values[position])
      sums[column] += value
      squares[column] += value * value
    }
    var total = 0.0
    for column in 0..<columnCount {
      let mean = sums[column] / n
      total += max(0, squares[column] / n - mean * mean)
    }
    return total / Double(columnCount)
  }
}

/// One stored value of a sparse row (a hashable row key).
struct SparseEntry<Scalar: KMeansScalar>: Hashable {
  var column: Int32
  var value: Scalar
}

/// Dense centers transposed to `dimension × k`, with their squared norms: the layout the
/// sparse kernels read.
struct TransposedCenterValues<Scalar: KMeansScalar> {
  let values: [Scalar]
  let squaredNorms: [Scalar]
  let centerCount: Int

  init(_ centers: Matrix<Scalar>) {
    let k = centers.rowCount
    let d = centers.columnCount
    var transposed = [Scalar](repeating: 0, count: k * d)
    var norms = [Scalar](repeating: 0, count: k)
    for center in 0..<k {
      var norm = Scalar.zero
      for column in 0..<d {
        let value = centers[center, column]
        transposed[column * k + center] = value
        norm += value * value
      }
      norms[center] = norm
    }
    self.values = transposed
    self.squaredNorms = norms
    self.centerCount = k
  }

  func withCenters<Result>(
    distance: DistanceKind, _ body: (TransposedCenters<Scalar>) -> Result
  ) -> Result {
    values.withUnsafeBufferPointer { valueBuffer in
      squaredNorms.withUnsafeBufferPointer { normBuffer in
        body(
          TransposedCenters(
            values: valueBuffer.baseAddress!, centerCount: centerCount,
            squaredNorms: normBuffer.baseAddress!, distance: distance))
      }
    }
  }
}
