#if canImport(_Differentiation)
  import Foundation
  import KMeans
  import _Differentiation

  /// Deep embedded clustering (Xie, Girshick and Farhadi 2016, "Unsupervised Deep Embedding for
  /// Clustering Analysis"): an encoder and the cluster centers trained together by sharpening
  /// the soft assignments.
  ///
  /// With zᵢ the embedding of row i and μⱼ the centers (start them from a k-means fit of the
  /// embeddings):
  ///
  /// - qᵢⱼ ∝ (1 + ‖zᵢ − μⱼ‖²/α)^(−(α+1)/2), Student's t kernel (α = 1), normalised per row;
  /// - the target pᵢⱼ = (qᵢⱼ²/fⱼ) / Σₗ (qᵢₗ²/fₗ) with fⱼ = Σᵢ qᵢⱼ, which sharpens confident
  ///   assignments and keeps big clusters from swallowing small ones; it is held fixed (the
  ///   paper recomputes it every T steps);
  /// - the loss is KL(P‖Q) = Σᵢⱼ pᵢⱼ log(pᵢⱼ / qᵢⱼ), differentiable in the embedding (hence the
  ///   encoder) and the centers.
  ///
  /// ```swift
  /// let target = DeepEmbeddedClustering.targetDistribution(
  ///   DeepEmbeddedClustering.softAssignments(embedding: z, centers: mu))
  /// let (loss, (towardEmbedding, towardCenters)) = valueWithGradient(at: z, mu) {
  ///   DeepEmbeddedClustering.loss(embedding: $0, centers: $1, target: target)
  /// }
  /// ```
  public enum DeepEmbeddedClustering {
    /// The `n × k` Student-t soft assignments qᵢⱼ, each row summing to 1.
    /// - Parameters:
    ///   - embedding: `n × d` embedded rows.
    ///   - centers: `k × d` centers.
    ///   - alpha: the degrees of freedom α of the kernel (1 in the paper).
    @differentiable(reverse,wrt: (embedding, centers))
    public static func softAssignments<Scalar: KMeansScalar>(
      embedding: Matrix<Scalar>, centers: Matrix<Scalar>, alpha: Scalar = 1
    ) -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar {
      rowSoftmax(
        studentTLogits(
          pairwiseDistances(embedding, centers, metric: .squaredEuclidean), alpha: alpha)
      )
    }

    /// The sharpened target pᵢⱼ = (qᵢⱼ²/fⱼ) / Σₗ (qᵢₗ²/fₗ), fⱼ = Σᵢ qᵢⱼ (not differentiated).
    public static func targetDistribution<Scalar: KMeansScalar>(_ assignments: Matrix<Scalar>)
      -> Matrix<Scalar>
    {
      let (n, k) = (assignments.rowCount, assignments.columnCount)
      let q = assignments.values.map(Double.init)
      var frequencies = [Double](repeating: 0, count: k)
      for row in 0..<n { for column in 0..<k { frequencies[column] += q[row * k + column] } }
      var p = [Scalar](repeating: 0, count: n * k)
      for row in 0..<n {
        let weights = (0..<k).map {
          q[row * k + $0] * q[row * k + $0] / max(frequencies[$0], 1e-300)
        }
        let total = max(weights.reduce(0, +), 1e-300)
        for column in 0..<k { p[row * k + column] = Scalar(weights[column] / total) }
      }
      return Matrix(checkedValues: p, rowCount: n, columnCount: k)
    }

    /// KL(P‖Q) = Σᵢⱼ pᵢⱼ log(pᵢⱼ / qᵢⱼ) for Q = ``softAssignments(embedding:centers:alpha:)``,
    /// computed as Σ p log p − Σ p ⊙ ℓ + Σᵢ (Σⱼ pᵢⱼ)·log Σⱼ exp ℓᵢⱼ with ℓ the kernel's logits
    /// (no log of a rounded q).
    /// - Parameters:
    ///   - embedding: `n × d` embedded rows.
    ///   - centers: `k × d` centers.
    ///   - target: P, `n × k`, from ``targetDistribution(_:)`` (held fixed).
    ///   - alpha: the degrees of freedom α of the kernel.
    @differentiable(reverse,wrt: (embedding, centers))
    public static func loss<Scalar: KMeansScalar>(
      embedding: Matrix<Scalar>, centers: Matrix<Scalar>, target: Matrix<Scalar>,
      alpha: Scalar = 1
    ) -> Scalar where Scalar: Differentiable, Scalar.TangentVector == Scalar {
      let logits = studentTLogits(
        pairwiseDistances(embedding, centers, metric: .squaredEuclidean), alpha: alpha)
      let entropy = negativeEntropy(target)
      let crossTerm = elementwiseProduct(target, logits).scaled(by: -1).elementSum()
      let normaliser = matrixProduct(rowMasses(target), rowLogSumExp(logits)).elementSum()
      return scalarSum(entropy, scalarSum(crossTerm, normaliser))
    }

    /// Σ p log p (0·log 0 = 0).
    private static func negativeEntropy<Scalar: KMeansScalar>(_ p: Matrix<Scalar>) -> Scalar {
      Scalar(p.values.reduce(0.0) { $0 + ($1 > 0 ? Double($1) * Foundation.log(Double($1)) : 0) })
    }

    /// Σⱼ pᵢⱼ of every row, as a `1 × n` matrix.
    private static func rowMasses<Scalar: KMeansScalar>(_ p: Matrix<Scalar>) -> Matrix<Scalar> {
      Matrix(checkedValues: p.rowSums(), rowCount: 1, columnCount: p.rowCount)
    }
  }

  /// The logits of Student's t kernel, ℓᵢⱼ = −(α+1)/2 · log(1 + dᵢⱼ/α), so that
  /// softmax(ℓ) is DEC's q (∂ℓ/∂d = −(α+1)/2 / (α + d)).
  @differentiable(reverse,wrt: distances)
  public func studentTLogits<Scalar: KMeansScalar>(_ distances: Matrix<Scalar>, alpha: Scalar)
    -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar
  {
    let exponent = -(Double(alpha) + 1) / 2
    let a = Double(alpha)
    return distances.mapValues { Scalar(exponent * Foundation.log1p(Double($0) / a)) }
  }

  /// The value of ``studentTLogits(_:alpha:)`` and its pullback, for automatic differentiation.
  @derivative(of: studentTLogits, wrt: distances)
  public func studentTLogitsVJP<Scalar: KMeansScalar>(_ distances: Matrix<Scalar>, alpha: Scalar)
    -> (value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> Matrix<Scalar>)
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    let exponent = -(Double(alpha) + 1) / 2
    let a = Double(alpha)
    return (
      studentTLogits(distances, alpha: alpha),
      { upstream in
        if upstream.isZeroTangent { return .zero }
        return upstream.combined(with: distances) { g, d in
          g * Scalar(exponent / (a + Double(d)))
        }
      }
    )
  }
#endif
