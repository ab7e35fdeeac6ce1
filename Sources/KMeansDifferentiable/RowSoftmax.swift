#if canImport(_Differentiation)
  import Foundation
  import KMeans
  import KMeansKernels
  import _Differentiation

  // Row-wise softmax and log-sum-exp with their reverse derivatives, computed together in one
  // pass that subtracts each row's maximum (no overflow).

  /// The softmax of every row: sᵢⱼ = exp(zᵢⱼ − mᵢ) / Σₗ exp(zᵢₗ − mᵢ), mᵢ the row's maximum
  /// (no overflow). Reverse derivative: ∂z = s ⊙ (G − (G ⊙ s)·1).
  @differentiable(reverse)
  public func rowSoftmax<Scalar: KMeansScalar>(_ logits: Matrix<Scalar>) -> Matrix<Scalar>
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    softmaxAndLogSumExp(logits).softmax
  }

  /// The value of ``rowSoftmax(_:)`` and its pullback (reverse derivative), for automatic differentiation.
  @derivative(of: rowSoftmax)
  public func rowSoftmaxVJP<Scalar: KMeansScalar>(_ logits: Matrix<Scalar>) -> (
    value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> Matrix<Scalar>
  ) where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    let softmax = softmaxAndLogSumExp(logits).softmax
    return (
      softmax,
      { upstream in
        if upstream.isZeroTangent { return .zero }
        let k = softmax.columnCount
        let s = softmax.values
        var g = upstream.values
        for row in 0..<softmax.rowCount {
          let range = (row * k)..<(row * k + k)
          var dot: Scalar = 0
          for index in range { dot += g[index] * s[index] }
          for index in range { g[index] = s[index] * (g[index] - dot) }
        }
        return Matrix(checkedValues: g, rowCount: softmax.rowCount, columnCount: k)
      }
    )
  }

  /// log Σⱼ exp(zᵢⱼ) of every row, an `n × 1` matrix (computed as mᵢ + log Σⱼ exp(zᵢⱼ − mᵢ)).
  /// Reverse derivative: ∂z = diag(G)·softmax(z).
  @differentiable(reverse)
  public func rowLogSumExp<Scalar: KMeansScalar>(_ logits: Matrix<Scalar>) -> Matrix<Scalar>
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    softmaxAndLogSumExp(logits).logSumExp
  }

  /// The value of ``rowLogSumExp(_:)`` and its pullback (reverse derivative), for automatic differentiation.
  @derivative(of: rowLogSumExp)
  public func rowLogSumExpVJP<Scalar: KMeansScalar>(_ logits: Matrix<Scalar>) -> (
    value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> Matrix<Scalar>
  ) where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    let (softmax, logSumExp) = softmaxAndLogSumExp(logits)
    return (
      logSumExp,
      { upstream in
        if upstream.isZeroTangent { return .zero }
        return softmax.scalingRows(by: upstream.values)
      }
    )
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  private func softmaxAndLogSumExp<Scalar: KMeansScalar>(_ logits: Matrix<Scalar>) -> (
    softmax: Matrix<Scalar>, logSumExp: Matrix<Scalar>
  ) {
    let n = logits.rowCount
    let k = logits.columnCount
    var values = logits.values
    var logSumExp = [Scalar](repeating: 0, count: n)
    for row in 0..<n {
      let range = (row * k)..<(row * k + k)
      let maximum = Double(values[range].max() ?? 0)
      var total = 0.0
      for index in range {
        let term = Foundation.exp(Double(values[index]) - maximum)
        values[index] = Scalar(term)
        total += term
      }
      for index in range { values[index] = Scalar(Double(values[index]) / total) }
      logSumExp[row] = Scalar(maximum + Foundation.log(total))
    }
    return (
      Matrix(checkedValues: values, rowCount: n, columnCount: k),
      Matrix(checkedValues: logSumExp, rowCount: n, columnCount: 1)
    )
  }
#endif
