import KMeansKernels

/// Data checked and ready for the kernels: finite, of the right shape, and L2-normalised
/// under the cosine distance (a normalised copy; the caller's matrix is never changed), with
/// optional per-row weights (finite, ≥ 0, not all zero).
struct PreparedData<Scalar: KMeansScalar>: ClusterableData {
  let points: Matrix<Scalar>
  let metric: DistanceMetric
  let threadCount: Int
  /// One weight per row, or nil when every row weighs 1.
  let weights: [Double]?

  /// Rows per parallel chunk. Fixed, so results never depend on the thread count.
  static var chunkRows: Int { 4096 }

  var chunkCount: Int { (points.rowCount + Self.chunkRows - 1) / Self.chunkRows }
  var rowCount: Int { points.rowCount }
  var columnCount: Int { points.columnCount }

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
  /// row, finite, ≥ 0, not all zero), and normalises the data for cosine. Errors name the row
  /// and column.
  init(
    _ data: Matrix<Scalar>, metric: DistanceMetric, threadCount: Int, weights: [Double]? = nil
  ) throws {
    guard data.rowCount > 0 else { throw KMeansError.emptyInput("the data has no rows") }
    guard data.columnCount > 0 else { throw KMeansError.emptyInput("the data has no columns") }
    let d = data.columnCount
    if let bad = data.withUnsafeElements({ Scalar._kernels.firstNonFinite($0, data.rowCount, d) }) {
      throw KMeansError.nonFiniteValue(row: bad.row, column: bad.column)
    }
    if let weights { try Self.validate(weights: weights, rowCount: data.rowCount) }
    self.weights = weights
    self.metric = metric
    self.threadCount = threadCount
    if metric == .cosine {
      var normalised = Matrix<Scalar>(zerosWithRowCount: data.rowCount, columnCount: d)
      let zeroRow = data.withUnsafeElements { source in
        normalised.withUnsafeMutableElements { target in
          Scalar._kernels.normalizeRows(source, data.rowCount, d, target)
        }
      }
      if let zeroRow { throw KMeansError.zeroRowUnderCosine(row: zeroRow) }
      self.points = normalised
    } else {
      self.points = data
    }
  }

  /// Checks sample weights: one per row, each finite and ≥ 0, with a positive total.
  /// - Throws: ``KMeansError/invalidWeight(row:value:)`` or
  ///   ``KMeansError/shapeMismatch(_:)`` / ``KMeansError/invalidConfiguration(_:)``.
  static func validate(weights: [Double], rowCount: Int) throws {
    guard weights.count == rowCount else {
      throw KMeansError.shapeMismatch("\(weights.count) sample weights for \(rowCount) rows")
    }
    var total = 0.0
    for (row, weight) in weights.enumerated() {
      guard weight.isFinite, weight >= 0 else {
        throw KMeansError.invalidWeight(row: row, value: weight)
      }
      total += weight
    }
    guard total > 0, total.isFinite else {
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

  /// Calls `body` with a pointer to the weights, or nil without weights.
  func withWeightPointer<Result>(_ body: (UnsafePointer<Double>?) -> Result) -> Result {
    guard let weights else { return body(nil) }
    return weights.withUnsafeBufferPointer { body($0.baseAddress!) }
  }

  /// Every distance to every center as a `rows × k` matrix.
  func allScoresMatrix(to centers: PreparedCenters<Scalar>) -> Matrix<Scalar> {
    // swift-format-ignore: NeverUseForceTry
    try! Matrix(
      rowCount: points.rowCount, columnCount: centers.centers.rowCount,
      values: allDistances(to: centers))
  }

  /// The row range of parallel chunk `chunk`.
  func rows(ofChunk chunk: Int) -> Range<Int> {
    let start = chunk * Self.chunkRows
    return start..<min(points.rowCount, start + Self.chunkRows)
  }

  var kernelDistance: DistanceKind { metric == .cosine ? .cosine : .squaredEuclidean }
}

/// Centers in the form the kernels read: values plus ‖c‖² per center.
struct PreparedCenters<Scalar: KMeansScalar>: Sendable {
  let centers: Matrix<Scalar>
  let squaredNorms: [Scalar]

  init(_ centers: Matrix<Scalar>) {
    self.centers = centers
    var norms = [Scalar](repeating: 0, count: centers.rowCount)
    centers.withUnsafeElements { base in
      norms.withUnsafeMutableBufferPointer { output in
        Scalar._kernels.squaredNorms(
          base, centers.rowCount, centers.columnCount, output.baseAddress!)
      }
    }
    self.squaredNorms = norms
  }
}

/// The result of assigning every row to its nearest center.
struct Assignment<Scalar: KMeansScalar>: Sendable {
  var labels: [Int32]
  var distances: [Scalar]
  /// Σ wᵢ·distanceᵢ (wᵢ = 1 without weights), summed per chunk in Double and reduced in chunk
  /// order.
  var loss: Double
  /// Rows whose label differs from the previous labels passed in.
  var changedLabels: Int
}

extension PreparedData {
  /// Assigns every row to its nearest center on `threadCount` workers.
  ///
  /// - Parameter previous: labels to compare against for ``Assignment/changedLabels``.
  func assign(to centers: PreparedCenters<Scalar>, previous: [Int32]? = nil) -> Assignment<Scalar> {
    let n = points.rowCount
    var labels = [Int32](repeating: 0, count: n)
    var distances = [Scalar](repeating: 0, count: n)
    var chunkLoss = [Double](repeating: 0, count: chunkCount)
    var chunkChanged = [Int](repeating: 0, count: chunkCount)
    let d = points.columnCount
    let k = centers.centers.rowCount
    let distance = kernelDistance
    let workerCount = min(threadCount, chunkCount)
    points.withUnsafeElements { pointBase in
      centers.centers.withUnsafeElements { centerBase in
        centers.squaredNorms.withUnsafeBufferPointer { norms in
          labels.withUnsafeMutableBufferPointer { labelBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
              chunkLoss.withUnsafeMutableBufferPointer { lossBuffer in
                chunkChanged.withUnsafeMutableBufferPointer { changedBuffer in
                  let shared = UnsafeSendable(
                    (
                      pointBase, centerBase, norms.baseAddress!, labelBuffer.baseAddress!,
                      distanceBuffer.baseAddress!, lossBuffer.baseAddress!,
                      changedBuffer.baseAddress!
                    ))
                  let scratch = UnsafeSendable(
                    UnsafeMutableBufferPointer<AssignmentScratch<Scalar>>.allocate(
                      capacity: workerCount))
                  defer {
                    scratch.value.deinitialize()
                    scratch.value.deallocate()
                  }
                  scratch.value.initialize(repeating: AssignmentScratch())
                  parallelFor(chunkCount: chunkCount, threadCount: workerCount) { chunk, worker in
                    let (points, centers, norms, labels, distances, losses, changed) = shared.value
                    let range = rows(ofChunk: chunk)
                    let block = DistanceBlock<Scalar>(
                      points: points + range.lowerBound * d, rowCount: range.count, dimension: d,
                      centers: centers, centerCount: k, centerSquaredNorms: norms,
                      distance: distance)
                    Scalar._kernels.assignNearest(
                      block, labels + range.lowerBound, distances + range.lowerBound,
                      &scratch.value[worker])
                    var sum = 0.0
                    if let weights {
                      for row in range { sum += weights[row] * Double(distances[row]) }
                    } else {
                      for row in range { sum += Double(distances[row]) }
                    }
                    losses[chunk] = sum
                    if let previous {
                      var count = 0
                      for row in range where previous[row] != labels[row] { count += 1 }
                      changed[chunk] = count
                    } else {
                      changed[chunk] = range.count
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return Assignment(
      labels: labels, distances: distances, loss: chunkLoss.reduce(0, +),
      changedLabels: chunkChanged.reduce(0, +))
  }
}
