#if canImport(_Differentiation)
  import Foundation
  import KMeans
  import KMeansKernels
  import _Differentiation

  // The differentiable building blocks. Each has a custom reverse derivative written with whole
  // matrix operations (one BLAS product per matrix term), never element-by-element closures
  // that the autodiff would have to record.

  /// The threads BLAS may use for the products of these operations: every core.
  let productThreads = ProcessInfo.processInfo.activeProcessorCount

  /// `a · b` (or with either transposed), as a matrix.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func product<Scalar: KMeansScalar>(
    _ a: Matrix<Scalar>, transposeA: Bool = false, _ b: Matrix<Scalar>, transposeB: Bool = false,
    alpha: Scalar = 1
  ) -> Matrix<Scalar> {
    let m = transposeA ? a.columnCount : a.rowCount
    let inner = transposeA ? a.rowCount : a.columnCount
    let n = transposeB ? b.rowCount : b.columnCount
    precondition(
      inner == (transposeB ? b.columnCount : b.rowCount), "matrix product of mismatched shapes")
    let values = MatrixProduct.multiply(
      a.values, transposeA: transposeA, b.values, transposeB: transposeB, m: m, n: n, inner: inner,
      alpha: alpha, threads: productThreads)
    return Matrix(checkedValues: values, rowCount: m, columnCount: n)
  }

  /// Σⱼ xᵢⱼ² of every row.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  private func rowSquaredNorms<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>) -> [Scalar] {
    let values = matrix.values
    let d = matrix.columnCount
    return (0..<matrix.rowCount).map { row in
      var sum: Scalar = 0
      for index in (row * d)..<(row * d + d) { sum += values[index] * values[index] }
      return sum
    }
  }

  /// TensorFlow's `l2_normalize` ε: rows with ‖x‖² below it are divided by √ε instead.
  private let normalizationEpsilon = 1e-12

  /// Rows scaled to unit length (`tf.math.l2_normalize`), and each row's scale 1 / max(‖x‖, √ε).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func unitRows<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>) -> (
    Matrix<Scalar>, [Scalar]
  ) {
    let scales = rowSquaredNorms(matrix).map {
      Scalar(1 / max(Double($0), normalizationEpsilon).squareRoot())
    }
    let d = matrix.columnCount
    var values = matrix.values
    for row in 0..<matrix.rowCount {
      for index in (row * d)..<(row * d + d) { values[index] *= scales[row] }
    }
    return (Matrix(checkedValues: values, rowCount: matrix.rowCount, columnCount: d), scales)
  }

  /// The pullback of ``unitRows(_:)``: with u = x·s, s = 1/‖x‖, du ↦ s·(du − u·(u·du)); for a
  /// row clamped by ε, s is a constant and du ↦ s·du.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func unitRowsPullback<Scalar: KMeansScalar>(
    _ upstream: Matrix<Scalar>, unit: Matrix<Scalar>, scales: [Scalar], original: Matrix<Scalar>
  ) -> Matrix<Scalar> {
    let d = unit.columnCount
    let u = unit.values
    var g = upstream.values
    let squaredNorms = rowSquaredNorms(original)
    for row in 0..<unit.rowCount {
      let range = (row * d)..<(row * d + d)
      var projection: Scalar = 0
      if Double(squaredNorms[row]) >= normalizationEpsilon {
        for index in range { projection += u[index] * g[index] }
      }
      for index in range { g[index] = scales[row] * (g[index] - u[index] * projection) }
    }
    return Matrix(checkedValues: g, rowCount: unit.rowCount, columnCount: d)
  }

  /// The distance from every row of `points` (`n × d`) to every row of `centers` (`k × d`), an
  /// `n × k` matrix: ‖x − c‖² = ‖x‖² − 2·x·c + ‖c‖² for squared Euclidean (one GEMM; not
  /// clamped, so the gradient is that of the formula everywhere), 1 − x̂·ĉ for cosine (rows
  /// normalised as `tf.math.l2_normalize`, ε = 1e-12).
  ///
  /// Reverse derivative, with G the upstream `n × k` gradient: for squared Euclidean
  /// ∂points = 2·diag(G·1)·X − 2·G·C and ∂centers = 2·diag(Gᵀ·1)·C − 2·Gᵀ·X; for cosine the
  /// products −G·Ĉ and −Gᵀ·X̂ projected through the normalisations.
  @differentiable(reverse)
  public func pairwiseDistances<Scalar: KMeansScalar>(
    _ points: Matrix<Scalar>, _ centers: Matrix<Scalar>, metric: DistanceMetric
  ) -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    distancesWithPullback(points, centers, metric: metric).value
  }

  /// The value of ``pairwiseDistances(_:_:metric:)`` and its pullback (reverse derivative), for automatic differentiation.
  @derivative(of: pairwiseDistances)
  public func pairwiseDistancesVJP<Scalar: KMeansScalar>(
    _ points: Matrix<Scalar>, _ centers: Matrix<Scalar>, metric: DistanceMetric
  ) -> (
    value: Matrix<Scalar>,
    pullback: (Matrix<Scalar>) -> (Matrix<Scalar>, Matrix<Scalar>)
  ) where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    distancesWithPullback(points, centers, metric: metric)
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  private func distancesWithPullback<Scalar: KMeansScalar>(
    _ points: Matrix<Scalar>, _ centers: Matrix<Scalar>, metric: DistanceMetric
  ) -> (
    value: Matrix<Scalar>,
    pullback: (Matrix<Scalar>) -> (Matrix<Scalar>, Matrix<Scalar>)
  ) {
    precondition(points.columnCount == centers.columnCount, "points and centers differ in width")
    let n = points.rowCount
    let k = centers.rowCount
    switch metric {
    case .squaredEuclidean:
      let pointNorms = rowSquaredNorms(points)
      let centerNorms = rowSquaredNorms(centers)
      var values = product(points, centers, transposeB: true, alpha: -2).values
      for row in 0..<n {
        for column in 0..<k { values[row * k + column] += pointNorms[row] + centerNorms[column] }
      }
      let distances = Matrix(checkedValues: values, rowCount: n, columnCount: k)
      return (
        distances,
        { upstream in
          if upstream.isZeroTangent { return (.zero, .zero) }
          let rowSums = upstream.rowSums()
          let columnSums = upstream.columnSums()
          let towardPoints =
            product(upstream, centers, alpha: -2)
            + points.scalingRows(by: rowSums.map { 2 * $0 })
          let towardCenters =
            product(upstream, transposeA: true, points, alpha: -2)
            + centers.scalingRows(by: columnSums.map { 2 * $0 })
          return (towardPoints, towardCenters)
        }
      )
    case .cosine:
      let (unitPoints, pointScales) = unitRows(points)
      let (unitCenters, centerScales) = unitRows(centers)
      let cosines = product(unitPoints, unitCenters, transposeB: true)
      let distances = cosines.mapValues { 1 - $0 }
      return (
        distances,
        { upstream in
          if upstream.isZeroTangent { return (.zero, .zero) }
          let towardUnitPoints = product(upstream, unitCenters, alpha: -1)
          let towardUnitCenters = product(upstream, transposeA: true, unitPoints, alpha: -1)
          return (
            unitRowsPullback(
              towardUnitPoints, unit: unitPoints, scales: pointScales, original: points),
            unitRowsPullback(
              towardUnitCenters, unit: unitCenters, scales: centerScales, original: centers)
          )
        }
      )
    }
  }

  /// `a · b`, differentiable in both (∂a = G·bᵀ, ∂b = aᵀ·G).
  @differentiable(reverse)
  public func matrixProduct<Scalar: KMeansScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>)
    -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar
  {
    product(a, b)
  }

  /// The value of ``matrixProduct(_:_:)`` and its pullback (reverse derivative), for automatic differentiation.
  @derivative(of: matrixProduct)
  public func matrixProductVJP<Scalar: KMeansScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> (
    value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> (Matrix<Scalar>, Matrix<Scalar>)
  ) where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    (
      product(a, b),
      { upstream in
        if upstream.isZeroTangent { return (.zero, .zero) }
        return (product(upstream, b, transposeB: true), product(a, transposeA: true, upstream))
      }
    )
  }

  /// `a ⊙ b`, entry by entry (∂a = G ⊙ b, ∂b = G ⊙ a): weights, masks, and Σ a ⊙ b with
  /// `elementSum()`.
  @differentiable(reverse)
  public func elementwiseProduct<Scalar: KMeansScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>)
    -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar
  {
    precondition(a.rowCount == b.rowCount && a.columnCount == b.columnCount, "shapes differ")
    return a.combined(with: b, *)
  }

  /// The value of ``elementwiseProduct(_:_:)`` and its pullback, for automatic differentiation.
  @derivative(of: elementwiseProduct)
  public func elementwiseProductVJP<Scalar: KMeansScalar>(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>
  ) -> (
    value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> (Matrix<Scalar>, Matrix<Scalar>)
  ) where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    (
      elementwiseProduct(a, b),
      { upstream in
        if upstream.isZeroTangent { return (.zero, .zero) }
        return (upstream.combined(with: b, *), upstream.combined(with: a, *))
      }
    )
  }

  /// The rows of `table` picked by `indices` (an `indices.count × d` matrix); the reverse
  /// derivative adds each upstream row into the row it came from (a scatter-add), so a row
  /// picked twice gets both gradients.
  @differentiable(reverse,wrt: table)
  public func gatherRows<Scalar: KMeansScalar>(_ table: Matrix<Scalar>, at indices: [Int])
    -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar
  {
    let d = table.columnCount
    let source = table.values
    var values = [Scalar]()
    values.reserveCapacity(indices.count * d)
    for index in indices {
      precondition(index >= 0 && index < table.rowCount, "row \(index) of \(table.rowCount)")
      values += source[(index * d)..<(index * d + d)]
    }
    return Matrix(checkedValues: values, rowCount: indices.count, columnCount: d)
  }

  /// The value of ``gatherRows(_:at:)`` and its pullback, for automatic differentiation.
  @derivative(of: gatherRows, wrt: table)
  public func gatherRowsVJP<Scalar: KMeansScalar>(_ table: Matrix<Scalar>, at indices: [Int]) -> (
    value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> Matrix<Scalar>
  ) where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    let (rows, d) = (table.rowCount, table.columnCount)
    return (
      gatherRows(table, at: indices),
      { upstream in
        if upstream.isZeroTangent { return .zero }
        var values = [Scalar](repeating: 0, count: rows * d)
        let g = upstream.values
        for (position, index) in indices.enumerated() {
          for column in 0..<d { values[index * d + column] += g[position * d + column] }
        }
        return Matrix(checkedValues: values, rowCount: rows, columnCount: d)
      }
    )
  }

  /// mean((a − b)²) over every entry, as `tf.reduce_mean(tf.square(a - b))`
  /// (∂a = 2(a − b)·G/N, ∂b = −∂a).
  @differentiable(reverse)
  public func meanSquaredDifference<Scalar: KMeansScalar>(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>
  ) -> Scalar where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    precondition(a.rowCount == b.rowCount && a.columnCount == b.columnCount, "shapes differ")
    let count = max(1, a.rowCount * a.columnCount)
    return zip(a.values, b.values).reduce(Scalar(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
      / Scalar(count)
  }

  /// The value of ``meanSquaredDifference(_:_:)`` and its pullback, for automatic
  /// differentiation.
  @derivative(of: meanSquaredDifference)
  public func meanSquaredDifferenceVJP<Scalar: KMeansScalar>(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>
  ) -> (value: Scalar, pullback: (Scalar) -> (Matrix<Scalar>, Matrix<Scalar>))
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    let count = Scalar(max(1, a.rowCount * a.columnCount))
    return (
      meanSquaredDifference(a, b),
      { upstream in
        let factor = 2 * upstream / count
        let towardA = a.combined(with: b) { ($0 - $1) * factor }
        return (towardA, towardA.mapValues { -$0 })
      }
    )
  }

  extension Matrix where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    /// The sum of every entry (∂ = G in every entry).
    @differentiable(reverse)
    public func elementSum() -> Scalar { values.reduce(0, +) }

    /// The value of ``elementSum()`` and its pullback, for automatic differentiation.
    @derivative(of: elementSum)
    public func elementSumVJP() -> (value: Scalar, pullback: (Scalar) -> Matrix) {
      let (rows, columns) = (rowCount, columnCount)
      return (
        elementSum(),
        { upstream in
          Matrix(
            checkedValues: [Scalar](repeating: upstream, count: rows * columns), rowCount: rows,
            columnCount: columns)
        }
      )
    }

    /// Every entry times `factor` (∂self = factor·G, ∂factor = Σ G ⊙ self).
    @differentiable(reverse)
    public func scaled(by factor: Scalar) -> Matrix { mapValues { $0 * factor } }

    /// The value of ``scaled(by:)`` and its pullback, for automatic differentiation.
    @derivative(of: scaled)
    public func scaledVJP(by factor: Scalar) -> (
      value: Matrix, pullback: (Matrix) -> (Matrix, Scalar)
    ) {
      (
        scaled(by: factor),
        { [self] upstream in
          if upstream.isZeroTangent { return (.zero, 0) }
          let towardFactor = zip(upstream.values, values).reduce(Scalar(0)) { $0 + $1.0 * $1.1 }
          return (upstream.mapValues { $0 * factor }, towardFactor)
        }
      )
    }
  }

  extension Matrix {
    /// Σⱼ of every row.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func rowSums() -> [Scalar] {
      let k = columnCount
      let values = self.values
      return (0..<rowCount).map { row in values[(row * k)..<(row * k + k)].reduce(0, +) }
    }

    /// Σᵢ of every column.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func columnSums() -> [Scalar] {
      var sums = [Scalar](repeating: 0, count: columnCount)
      let values = self.values
      for row in 0..<rowCount {
        for column in 0..<columnCount { sums[column] += values[row * columnCount + column] }
      }
      return sums
    }

    /// Row i times `factors[i]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func scalingRows(by factors: [Scalar]) -> Matrix {
      precondition(factors.count == rowCount, "one factor per row")
      var values = self.values
      for row in 0..<rowCount {
        for index in (row * columnCount)..<((row + 1) * columnCount) {
          values[index] *= factors[row]
        }
      }
      return Matrix(checkedValues: values, rowCount: rowCount, columnCount: columnCount)
    }
  }

  /// `a + b` for a generic scalar (the standard library registers derivatives for `Float` and
  /// `Double`'s `+`, not for the generic operator).
  @differentiable(reverse)
  func scalarSum<Scalar: KMeansScalar>(_ a: Scalar, _ b: Scalar) -> Scalar
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    a + b
  }

  @derivative(of: scalarSum)
  func scalarSumVJP<Scalar: KMeansScalar>(_ a: Scalar, _ b: Scalar) -> (
    value: Scalar, pullback: (Scalar) -> (Scalar, Scalar)
  ) where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    (a + b, { ($0, $0) })
  }
#endif
