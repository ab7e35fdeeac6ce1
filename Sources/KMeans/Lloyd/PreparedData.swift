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

extension SeedableData {
  /// The shared frame of every assignment pass: runs `kernel` on each fixed chunk of rows on
  /// `threadCount` workers — it writes the chunk's labels and distances (pointers at the
  /// chunk's first row) and returns a count of its own — then takes each chunk's Σ wᵢ·distanceᵢ
  /// and changed labels, reduced in chunk order so the bits never depend on the thread count.
  ///
  /// - Parameters:
  ///   - initial: labels the kernel starts from (Hamerly keeps the previous ones); zeros if nil.
  ///   - previous: labels to compare against for ``Assignment/changedLabels``.
  /// - Returns: the assignment and the sum of the kernel's counts.
  func assignByChunks(
    labels initial: [Int32]? = nil, previous: [Int32]?,
    _ kernel:
      @Sendable (
        _ rows: Range<Int>, _ labels: UnsafeMutablePointer<Int32>,
        _ distances: UnsafeMutablePointer<Scalar>, _ scratch: inout AssignmentScratch<Scalar>
      ) -> Int
  ) -> (assignment: Assignment<Scalar>, counted: Int) {
    var labels = initial ?? [Int32](repeating: 0, count: rowCount)
    var distances = [Scalar](repeating: 0, count: rowCount)
    // Per chunk: the loss, the changed labels, the kernel's count.
    var chunkResults = [(loss: Double, changed: Int, counted: Int)](
      repeating: (0, 0, 0), count: chunkCount)
    let workerCount = max(1, min(threadCount, chunkCount))
    labels.withUnsafeMutableBufferPointer { labelBuffer in
      distances.withUnsafeMutableBufferPointer { distanceBuffer in
        chunkResults.withUnsafeMutableBufferPointer { resultBuffer in
          let shared = UnsafeSendable(
            (labelBuffer.baseAddress!, distanceBuffer.baseAddress!, resultBuffer.baseAddress!))
          let scratch = UnsafeSendable(
            UnsafeMutableBufferPointer<AssignmentScratch<Scalar>>.allocate(capacity: workerCount))
          defer {
            scratch.value.deinitialize()
            scratch.value.deallocate()
          }
          scratch.value.initialize(repeating: AssignmentScratch())
          parallelFor(chunkCount: chunkCount, threadCount: workerCount) { chunk, worker in
            let (labels, distances, results) = shared.value
            let range = rows(ofChunk: chunk)
            let counted = kernel(
              range, labels + range.lowerBound, distances + range.lowerBound,
              &scratch.value[worker])
            var loss = 0.0
            if let weights {
              for row in range { loss += weights[row] * Double(distances[row]) }
            } else {
              for row in range { loss += Double(distances[row]) }
            }
            var changed = range.count
            if let previous {
              changed = 0
              for row in range where previous[row] != labels[row] { changed += 1 }
            }
            results[chunk] = (loss, changed, counted)
          }
        }
      }
    }
    let assignment = Assignment(
      labels: labels, distances: distances,
      loss: chunkResults.reduce(0) { $0 + $1.loss },
      changedLabels: chunkResults.reduce(0) { $0 + $1.changed })
    return (assignment, chunkResults.reduce(0) { $0 + $1.counted })
  }
}

extension PreparedData {
  /// Assigns every row to its nearest center on `threadCount` workers.
  ///
  /// - Parameter previous: labels to compare against for ``Assignment/changedLabels``.
  func assign(to centers: PreparedCenters<Scalar>, previous: [Int32]? = nil) -> Assignment<Scalar> {
    let d = points.columnCount
    let k = centers.centers.rowCount
    let distance = kernelDistance
    return points.withUnsafeElements { pointBase in
      centers.centers.withUnsafeElements { centerBase in
        centers.squaredNorms.withUnsafeBufferPointer { norms in
          let shared = UnsafeSendable((pointBase, centerBase, norms.baseAddress!))
          return assignByChunks(previous: previous) { range, labels, distances, scratch in
            let (points, centers, norms) = shared.value
            let block = DistanceBlock<Scalar>(
              points: points + range.lowerBound * d, rowCount: range.count, dimension: d,
              centers: centers, centerCount: k, centerSquaredNorms: norms, distance: distance)
            Scalar._kernels.assignNearest(block, labels, distances, &scratch)
            return 0
          }.assignment
        }
      }
    }
  }
}
