import CKMeansSIMD

/// How distances are measured inside the kernels.
package enum DistanceKind: Sendable {
  /// ‖x − c‖², computed as ‖x‖² − 2x·c + ‖c‖² for the argmin and exactly for the winner.
  case squaredEuclidean
  /// 1 − x·c for unit-length rows and centers (the caller normalises both).
  case cosine
}

/// Rows and centers whose distances a kernel computes. Pointers are borrowed for the call.
package struct DistanceBlock<Scalar: KMeansScalar>: @unchecked Sendable {
  /// `rowCount × dimension`, row-major.
  package var points: UnsafePointer<Scalar>
  package var rowCount: Int
  package var dimension: Int
  /// `centerCount × dimension`, row-major.
  package var centers: UnsafePointer<Scalar>
  package var centerCount: Int
  /// ‖c‖² per center (ignored for cosine, where every center has norm 1).
  package var centerSquaredNorms: UnsafePointer<Scalar>
  package var distance: DistanceKind
  /// The centers already packed into the fused kernels' panels, with their padded norms
  /// (zeros for cosine), by ``FusedKernel/withPackedCenters(_:_:)``: packed once per pass
  /// instead of once per chunk of rows. Nil: each call packs them.
  package var packedCenters: (values: UnsafePointer<Scalar>, norms: UnsafePointer<Scalar>)?

  package init(
    points: UnsafePointer<Scalar>, rowCount: Int, dimension: Int,
    centers: UnsafePointer<Scalar>, centerCount: Int,
    centerSquaredNorms: UnsafePointer<Scalar>, distance: DistanceKind
  ) {
    self.points = points
    self.rowCount = rowCount
    self.dimension = dimension
    self.centers = centers
    self.centerCount = centerCount
    self.centerSquaredNorms = centerSquaredNorms
    self.distance = distance
    self.packedCenters = nil
  }

  /// The same centers against `count` rows starting at row `start` of this block.
  package func rows(from start: Int, count: Int) -> DistanceBlock {
    var block = self
    block.points = points + start * dimension
    block.rowCount = count
    return block
  }
}

/// `c (m × n) = a (m × k) · bᵀ` with `b` `n × k`, row-major, with leading dimensions:
/// `(m, n, k, a, lda, b, ldb, c, ldc)`, as `?gemm` takes them.
package typealias MultiplyTransposed<Scalar> =
  @Sendable (
    Int, Int, Int, UnsafePointer<Scalar>, Int, UnsafePointer<Scalar>, Int,
    UnsafeMutablePointer<Scalar>, Int
  ) -> Void

/// The specialised hot loops of one precision. Not public API.
///
/// Each stored function is created in a concrete context (`Float` or `Double`), so generic
/// callers still run specialised code.
public struct _KernelTable<Scalar: KMeansScalar>: Sendable {
  /// `c (m × n) = a (m × k) · bᵀ` with `b` `n × k`, row-major (`?gemm`).
  package let multiplyTransposed: MultiplyTransposed<Scalar>

  /// Fused GEMM distance tiles and argmin for one block of rows.
  package let assignNearest:
    @Sendable (
      DistanceBlock<Scalar>, _ labels: UnsafeMutablePointer<Int32>,
      _ distances: UnsafeMutablePointer<Scalar>, inout AssignmentScratch<Scalar>
    ) -> Void

  /// All distances of a block of rows to all centers (`rowCount × centerCount`).
  package let allDistances: @Sendable (DistanceBlock<Scalar>, UnsafeMutablePointer<Scalar>) -> Void

  /// The distance between two vectors of `dimension` values: ‖x − y‖², or 1 − x·y for cosine
  /// (unit vectors), clamped at 0.
  package let pairDistance:
    @Sendable (UnsafePointer<Scalar>, UnsafePointer<Scalar>, _ dimension: Int, DistanceKind) ->
      Scalar

  /// Scales each row of `input` to unit length into `output`; returns the first row of zero
  /// length (left as zeros), or nil.
  package let normalizeRows:
    @Sendable (
      _ input: UnsafePointer<Scalar>, _ rows: Int, _ dimension: Int,
      _ output: UnsafeMutablePointer<Scalar>
    ) -> Int?

  /// The first (row, column) holding NaN or an infinity, or nil.
  package let firstNonFinite:
    @Sendable (UnsafePointer<Scalar>, _ rows: Int, _ dimension: Int) -> (row: Int, column: Int)?

  /// ‖row‖² for each row.
  package let squaredNorms:
    @Sendable (UnsafePointer<Scalar>, _ rows: Int, _ dimension: Int, UnsafeMutablePointer<Scalar>)
      -> Void

  /// Adds rows whose label lies in `centers` (times their weight, when given) into `sums`
  /// (Double, `k × dimension`), `counts` and `weightTotals`, in row order.
  package let accumulate:
    @Sendable (
      _ points: UnsafePointer<Scalar>, _ rows: Int, _ dimension: Int,
      _ labels: UnsafePointer<Int32>, _ weights: UnsafePointer<Double>?, _ centers: Range<Int>,
      _ sums: UnsafeMutablePointer<Double>, _ counts: UnsafeMutablePointer<Int>,
      _ weightTotals: UnsafeMutablePointer<Double>
    ) -> Void

  /// The nearest center of each sparse row in a range (labels and distances indexed from the
  /// range's start); the last pointer is scratch for k values.
  package let sparseAssign:
    @Sendable (
      SparseRows<Scalar>, Range<Int>, TransposedCenters<Scalar>,
      _ labels: UnsafeMutablePointer<Int32>,
      _ distances: UnsafeMutablePointer<Scalar>, _ scratch: UnsafeMutablePointer<Scalar>
    ) -> Void

  /// Every distance of each sparse row in a range to every center (`count × k`).
  package let sparseAllDistances:
    @Sendable (
      SparseRows<Scalar>, Range<Int>, TransposedCenters<Scalar>, UnsafeMutablePointer<Scalar>
    ) -> Void

  /// ``accumulate`` for sparse rows: `(rows, rowCount, dimension, labels, weights, centers,
  /// sums, counts, weightTotals)`.
  package let sparseAccumulate:
    @Sendable (
      SparseRows<Scalar>, _ rowCount: Int, _ dimension: Int, _ labels: UnsafePointer<Int32>,
      _ weights: UnsafePointer<Double>?, _ centers: Range<Int>,
      _ sums: UnsafeMutablePointer<Double>, _ counts: UnsafeMutablePointer<Int>,
      _ weightTotals: UnsafeMutablePointer<Double>
    ) -> Void

  /// The nearest center of each row (chosen as ``assignNearest`` chooses it), its exact squared
  /// distance, and a lower bound on the Euclidean distance to every other center (squared
  /// Euclidean only): Hamerly's bounds.
  package let nearestTwo:
    @Sendable (
      DistanceBlock<Scalar>, _ labels: UnsafeMutablePointer<Int32>,
      _ distances: UnsafeMutablePointer<Scalar>, _ lowerBounds: UnsafeMutablePointer<Scalar>,
      inout AssignmentScratch<Scalar>
    ) -> Void

  /// Hamerly's E-step over a block of rows (see ``BoundedKernel``): `(block, labels,
  /// distances, lowerBounds, halfGaps, otherShift, scratch)`, returning the rows re-assigned.
  package let boundedUpdate:
    @Sendable (
      DistanceBlock<Scalar>, _ labels: UnsafeMutablePointer<Int32>,
      _ distances: UnsafeMutablePointer<Scalar>, _ lowerBounds: UnsafeMutablePointer<Scalar>,
      _ halfGaps: UnsafePointer<Scalar>, _ otherShift: UnsafePointer<Scalar>,
      inout AssignmentScratch<Scalar>
    ) -> Int

  /// Yinyang's first pass: labels, distances and every group bound of a block of rows
  /// (``GroupedBoundKernel``).
  package let groupedFirstPass:
    @Sendable (
      DistanceBlock<Scalar>, _ labels: UnsafeMutablePointer<Int32>,
      _ distances: UnsafeMutablePointer<Scalar>, _ bounds: UnsafeMutablePointer<Scalar>,
      _ groupCount: Int, inout AssignmentScratch<Scalar>
    ) -> Void

  /// Yinyang's later passes; returns the rows whose filters failed.
  package let groupedUpdate:
    @Sendable (
      DistanceBlock<Scalar>, _ labels: UnsafeMutablePointer<Int32>,
      _ distances: UnsafeMutablePointer<Scalar>, _ bounds: UnsafeMutablePointer<Scalar>,
      GroupedBoundGeometry<Scalar>, inout AssignmentScratch<Scalar>
    ) -> Int

  package init(
    multiplyTransposed: @escaping MultiplyTransposed<Scalar>
  ) {
    self.groupedFirstPass = { block, labels, distances, bounds, groupCount, scratch in
      GroupedBoundKernel<Scalar>.firstPass(
        block, labels: labels, distances: distances, bounds: bounds, groupCount: groupCount,
        scratch: &scratch, gemm: multiplyTransposed)
    }
    self.groupedUpdate = { block, labels, distances, bounds, geometry, scratch in
      GroupedBoundKernel<Scalar>.update(
        block, labels: labels, distances: distances, bounds: bounds, geometry: geometry,
        scratch: &scratch, gemm: multiplyTransposed)
    }
    self.boundedUpdate = { block, labels, distances, lowerBounds, halfGaps, otherShift, scratch in
      BoundedKernel<Scalar>.update(
        block, labels: labels, distances: distances, lowerBounds: lowerBounds,
        halfGaps: halfGaps, otherShift: otherShift, scratch: &scratch, gemm: multiplyTransposed)
    }
    self.nearestTwo = { block, labels, distances, lowerBounds, scratch in
      BoundedKernel<Scalar>.nearestTwo(
        block, labels: labels, distances: distances, lowerBounds: lowerBounds, scratch: &scratch,
        gemm: multiplyTransposed)
    }
    self.sparseAssign = { rows, range, centers, labels, distances, scratch in
      SparseKernel<Scalar>.assign(
        rows, range: range, centers: centers, labels: labels, distances: distances,
        scratch: scratch)
    }
    self.sparseAllDistances = { rows, range, centers, output in
      SparseKernel<Scalar>.allDistances(rows, range: range, centers: centers, output: output)
    }
    self.sparseAccumulate = {
      rows, rowCount, dimension, labels, weights, centers, sums, counts, weightTotals in
      SparseKernel<Scalar>.accumulate(
        rows, rowCount: rowCount, dimension: dimension, labels: labels, weights: weights,
        centers: centers, sums: sums, counts: counts, weightTotals: weightTotals)
    }
    self.multiplyTransposed = multiplyTransposed
    self.assignNearest = { block, labels, distances, scratch in
      NearestCenterKernel<Scalar>.assign(
        block, labels: labels, distances: distances, scratch: &scratch, gemm: multiplyTransposed)
    }
    self.allDistances = { block, output in
      NearestCenterKernel<Scalar>.allDistances(block, output: output, gemm: multiplyTransposed)
    }
    self.pairDistance = { x, y, dimension, distance in
      distance == .cosine
        ? max(0, 1 - VectorKernels.dot(x, y, dimension))
        : VectorKernels.squaredDistance(x, y, dimension)
    }
    self.normalizeRows = { Self.normalizeRows($0, rows: $1, dimension: $2, into: $3) }
    self.firstNonFinite = { Self.firstNonFinite($0, rows: $1, dimension: $2) }
    self.squaredNorms = { Self.squaredNorms($0, rows: $1, dimension: $2, into: $3) }
    self.accumulate = {
      points, rows, dimension, labels, weights, centers, sums, counts, weightTotals in
      if Scalar.self == Float.self, FusedKernel.level > 0 {
        FusedKernel.accumulate(
          points: points, rows: rows, dimension: dimension, labels: labels, weights: weights,
          centers: centers, sums: sums, counts: counts, weightTotals: weightTotals)
        return
      }
      CentroidKernel<Scalar>.accumulate(
        points: points, rows: rows, dimension: dimension, labels: labels, weights: weights,
        centers: centers, sums: sums, counts: counts, weightTotals: weightTotals)
    }
  }
}

/// The portable row kernels of the table.
extension _KernelTable {
  /// Each row divided by its length (a zero row stays zero); the first zero row, if any.
  static func normalizeRows(
    _ input: UnsafePointer<Scalar>, rows: Int, dimension: Int,
    into output: UnsafeMutablePointer<Scalar>
  ) -> Int? {
    var firstZero: Int? = nil
    for row in 0..<rows {
      let source = input + row * dimension
      let target = output + row * dimension
      let norm = VectorKernels.dot(source, source, dimension).squareRoot()
      if norm > 0 {
        // Sixteen quotients at a time (each one IEEE division: the bits of the scalar loop);
        // `target` may be `source` (rows normalised in place).
        let divisor = SIMD16<Scalar>(repeating: norm)
        let stride = MemoryLayout<Scalar>.stride
        var column = 0
        while column + 16 <= dimension {
          let values = UnsafeRawPointer(source).loadUnaligned(
            fromByteOffset: column * stride, as: SIMD16<Scalar>.self)
          UnsafeMutableRawPointer(target).storeBytes(
            of: values / divisor, toByteOffset: column * stride, as: SIMD16<Scalar>.self)
          column += 16
        }
        while column < dimension {
          target[column] = source[column] / norm
          column += 1
        }
      } else {
        for column in 0..<dimension { target[column] = 0 }
        if firstZero == nil { firstZero = row }
      }
    }
    return firstZero
  }

  /// Whether none of `count` values is NaN or ±∞. Float and Double: their exponent bits
  /// tested in C, 16 or 8 at a time. Any other scalar: every value times 0, summed in 32
  /// independent lanes — 0 exactly when every value is finite (x·0 is NaN for NaN and ±∞),
  /// whatever the order.
  static func allFinite(_ points: UnsafePointer<Scalar>, count: Int) -> Bool {
    if Scalar.self == Float.self {
      return points.withMemoryRebound(to: Float.self, capacity: count) {
        kmeans_simd_all_finite_f32(FusedKernel.level, $0, count) != 0
      }
    }
    if Scalar.self == Double.self {
      return points.withMemoryRebound(to: Double.self, capacity: count) {
        kmeans_simd_all_finite_f64(FusedKernel.level, $0, count) != 0
      }
    }
    let raw = UnsafeRawPointer(points)
    let stride = MemoryLayout<Scalar>.stride
    var first = SIMD16<Scalar>.zero
    var second = SIMD16<Scalar>.zero
    var index = 0
    while index + 32 <= count {
      first += raw.loadUnaligned(fromByteOffset: index * stride, as: SIMD16<Scalar>.self) * 0
      second +=
        raw.loadUnaligned(fromByteOffset: (index + 16) * stride, as: SIMD16<Scalar>.self) * 0
      index += 32
    }
    var tail = Scalar.zero
    while index < count {
      tail += points[index] * 0
      index += 1
    }
    return ((first + second).sum() + tail).isFinite
  }

  /// The first NaN or infinity, by row and column: only for a block that holds
  /// one (``allFinite(_:count:)``), the rows are searched.
  static func firstNonFinite(_ points: UnsafePointer<Scalar>, rows: Int, dimension: Int) -> (
    row: Int, column: Int
  )? {
    guard !allFinite(points, count: rows * dimension) else { return nil }
    for row in 0..<rows {
      let line = points + row * dimension
      // A cheap sum first: it is finite exactly when every term is (barring overflow).
      var sum = Scalar.zero
      for column in 0..<dimension { sum += line[column] * 0 }
      guard !sum.isFinite else { continue }
      for column in 0..<dimension where !line[column].isFinite { return (row, column) }
    }
    return nil
  }

  /// ‖row‖² of each row.
  static func squaredNorms(
    _ points: UnsafePointer<Scalar>, rows: Int, dimension: Int,
    into output: UnsafeMutablePointer<Scalar>
  ) {
    for row in 0..<rows {
      output[row] = VectorKernels.dot(points + row * dimension, points + row * dimension, dimension)
    }
  }
}
