#if canImport(_Differentiation)
  import KMeans
  import KMeansKernels
  import _Differentiation

  /// Soft k-means: every point belongs to every center with a weight that falls with distance,
  /// so the assignment — and a loss built on it — has a gradient with respect to the points
  /// (an encoder's output) and the centers.
  ///
  /// With dᵢⱼ the distance from point i to center j (squared Euclidean or 1 − cos) and a
  /// temperature τ > 0:
  ///
  /// - the soft assignments are rᵢⱼ = softmax(−dᵢ/τ)ⱼ = exp(−dᵢⱼ/τ) / Σₗ exp(−dᵢₗ/τ);
  /// - the loss is L = −τ·Σᵢ log Σⱼ exp(−dᵢⱼ/τ), a smooth minimum of each row's distances, so
  ///   Σᵢ minⱼ dᵢⱼ − τ·n·log k ≤ L ≤ Σᵢ minⱼ dᵢⱼ: as τ → 0 it is the k-means objective (the
  ///   inertia), and ∂L/∂dᵢⱼ = rᵢⱼ.
  ///
  /// ```swift
  /// let (loss, (towardPoints, towardCenters)) = valueWithGradient(at: points, centers) {
  ///   SoftKMeans.loss(points: $0, centers: $1, temperature: 0.5, metric: .squaredEuclidean)
  /// }
  /// ```
  public enum SoftKMeans {
    /// The `n × k` soft assignments rᵢⱼ = softmax(−dᵢ/τ)ⱼ; each row sums to 1.
    /// - Parameters:
    ///   - points: `n × d` rows.
    ///   - centers: `k × d` centers.
    ///   - temperature: τ > 0; smaller is harder (τ → 0: one-hot on the nearest center).
    ///   - metric: squared Euclidean or cosine (1 − cos).
    @differentiable(reverse,wrt: (points, centers))
    public static func assignments<Scalar: KMeansScalar>(
      points: Matrix<Scalar>, centers: Matrix<Scalar>, temperature: Scalar,
      metric: DistanceMetric = .squaredEuclidean
    ) -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar {
      precondition(temperature > 0, "the temperature must be positive")
      return rowSoftmax(
        pairwiseDistances(points, centers, metric: metric).scaled(by: -1 / temperature))
    }

    /// The soft k-means loss L = −τ·Σᵢ log Σⱼ exp(−dᵢⱼ/τ), computed in one fused pass over
    /// tiles of rows (the distance GEMM, the logits, each row's log-sum-exp and softmax); its
    /// reverse derivative uses ∂L/∂dᵢⱼ = rᵢⱼ: for squared Euclidean ∂points = 2(X − R·C) and
    /// ∂centers = 2(diag(Rᵀ1)·C − Rᵀ·X), two GEMMs; for cosine the same products on the unit
    /// rows, projected through the normalisations.
    /// - Parameters:
    ///   - points: `n × d` rows.
    ///   - centers: `k × d` centers.
    ///   - temperature: τ > 0; as τ → 0 the loss tends to Σᵢ minⱼ dᵢⱼ (k-means' inertia).
    ///   - metric: squared Euclidean or cosine (1 − cos).
    @differentiable(reverse,wrt: (points, centers))
    public static func loss<Scalar: KMeansScalar>(
      points: Matrix<Scalar>, centers: Matrix<Scalar>, temperature: Scalar,
      metric: DistanceMetric = .squaredEuclidean
    ) -> Scalar where Scalar: Differentiable, Scalar.TangentVector == Scalar {
      lossWithPullback(points: points, centers: centers, temperature: temperature, metric: metric)
        .value
    }

    /// The value of ``loss(points:centers:temperature:metric:)`` and its pullback, for
    /// automatic differentiation.
    @derivative(of: loss, wrt: (points, centers))
    public static func lossVJP<Scalar: KMeansScalar>(
      points: Matrix<Scalar>, centers: Matrix<Scalar>, temperature: Scalar,
      metric: DistanceMetric
    ) -> (value: Scalar, pullback: (Scalar) -> (Matrix<Scalar>, Matrix<Scalar>))
    where Scalar: Differentiable, Scalar.TangentVector == Scalar {
      lossWithPullback(points: points, centers: centers, temperature: temperature, metric: metric)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private static func lossWithPullback<Scalar: KMeansScalar>(
      points: Matrix<Scalar>, centers: Matrix<Scalar>, temperature: Scalar,
      metric: DistanceMetric
    ) -> (value: Scalar, pullback: (Scalar) -> (Matrix<Scalar>, Matrix<Scalar>))
    where Scalar: Differentiable, Scalar.TangentVector == Scalar {
      precondition(temperature > 0, "the temperature must be positive")
      precondition(points.columnCount == centers.columnCount, "points and centers differ in width")
      let (n, k, d) = (points.rowCount, centers.rowCount, points.columnCount)
      let euclidean = metric == .squaredEuclidean
      let (x, xScales) = euclidean ? (points, []) : unitRows(points)
      let (c, cScales) = euclidean ? (centers, []) : unitRows(centers)
      let (responsibilityValues, logSumExp, columnSums) = SoftAssignmentPass.run(
        points: x.values, centers: c.values, rowCount: n, centerCount: k, dimension: d,
        squaredEuclidean: euclidean, inverseTemperature: 1 / Double(temperature),
        threadCount: productThreads)
      let value = Scalar(-Double(temperature) * logSumExp.reduce(0, +))
      return (
        value,
        { upstream in
          // ∂L/∂d = g·R, and with R·C and Rᵀ·X from one pass over chunks of rows:
          // squared Euclidean: ∂X = 2g(diag(R·1)·X − R·C), R·1 = 1; ∂C = 2g(diag(Rᵀ·1)·C − Rᵀ·X);
          // cosine (d = 1 − x̂·ĉ): ∂x̂ = −g·R·Ĉ, ∂ĉ = −g·Rᵀ·X̂, then through the normalisations.
          let (rc, rx) = SoftAssignmentPass.backwardProducts(
            responsibilities: responsibilityValues, points: x.values, centers: c.values,
            rowCount: n, centerCount: k, dimension: d, threadCount: productThreads)
          if euclidean {
            let twice = 2 * upstream
            let xValues = points.values
            let cValues = centers.values
            var towardPoints = rc
            for index in towardPoints.indices {
              towardPoints[index] = twice * (xValues[index] - rc[index])
            }
            var towardCenters = rx
            for center in 0..<k {
              let mass = Scalar(columnSums[center])
              for column in 0..<d {
                let index = center * d + column
                towardCenters[index] = twice * (mass * cValues[index] - rx[index])
              }
            }
            return (
              Matrix(checkedValues: towardPoints, rowCount: n, columnCount: d),
              Matrix(checkedValues: towardCenters, rowCount: k, columnCount: d)
            )
          }
          let towardUnitPoints = Matrix(
            checkedValues: rc.map { -upstream * $0 }, rowCount: n, columnCount: d)
          let towardUnitCenters = Matrix(
            checkedValues: rx.map { -upstream * $0 }, rowCount: k, columnCount: d)
          return (
            unitRowsPullback(towardUnitPoints, unit: x, scales: xScales, original: points),
            unitRowsPullback(towardUnitCenters, unit: c, scales: cScales, original: centers)
          )
        }
      )
    }
  }
#endif
