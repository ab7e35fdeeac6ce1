#if canImport(_Differentiation)
  import KMeans
  import _Differentiation

  /// A vector-quantization bottleneck (VQ-VAE: van den Oord et al. 2017, "Neural Discrete
  /// Representation Learning"), whose codebook is learned with the network.
  ///
  /// The forward pass replaces every input row by its nearest code (the nearest-center kernel of
  /// `KMeansModel.predict`). The nearest code has no gradient, so the network's gradient reaches
  /// the encoder through ``straightThrough(_:quantized:)``: the quantized rows forward, the
  /// upstream gradient passed unchanged to the inputs backward. Two losses train the rest:
  ///
  /// - the codebook loss ‖sg[x] − e‖² moves the chosen codes toward their inputs;
  /// - the commitment loss ‖x − sg[e]‖² (weighted by β, 0.25 in the paper) keeps the inputs
  ///   near their codes;
  ///
  /// where sg stops the gradient. Instead of the codebook loss, the codebook can follow its
  /// inputs by exponential moving averages (Razavi et al. 2019, "Generating Diverse
  /// High-Fidelity Images with VQ-VAE-2"): ``updateCodebook(inputs:indices:)``, which also
  /// restarts dead codes on random inputs.
  ///
  /// ```swift
  /// var quantizer = try VectorQuantizer(codebook: try KMeansModel.fit(embeddings, configuration: .init(clusterCount: 64)).model.centers)
  /// let (quantized, indices) = try quantizer.quantize(encoded)
  /// let decoderInput = straightThrough(encoded, quantized: quantized)   // gradient → encoder
  /// let commitment = VectorQuantizer.commitmentLoss(inputs: encoded, codebook: quantizer.codebook, indices: indices)
  /// quantizer.updateCodebook(inputs: encoded, indices: indices)          // EMA, dead-code restarts
  /// ```
  public struct VectorQuantizer<Scalar: KMeansScalar>: Sendable
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    /// The codes, `k × d`.
    public private(set) var codebook: Matrix<Scalar>
    /// The distance that chooses the nearest code.
    public let metric: DistanceMetric
    /// γ of the moving averages: Nⱼ ← γ·Nⱼ + (1 − γ)·nⱼ, mⱼ ← γ·mⱼ + (1 − γ)·Σ x. Default 0.99.
    public var decay: Double = 0.99
    /// ε of the Laplace smoothing of the counts (Sonnet's `VectorQuantizerEMA`). Default 1e-5.
    public var epsilon: Double = 1e-5
    /// A code whose moving count falls below this is dead and restarted on a random input of
    /// the batch. Default 1e-3 (in rows per batch).
    public var deadCodeThreshold: Double = 1e-3
    /// The moving count Nⱼ of every code.
    public private(set) var clusterSizes: [Double]
    /// The codes restarted so far.
    public private(set) var restartedCodes = 0
    private var sums: [Double]
    private var random: RandomSource

    /// A quantizer over `codebook` (for example a k-means fit of encoded rows).
    /// - Parameters:
    ///   - codebook: `k × d` initial codes.
    ///   - metric: the distance that chooses the nearest code.
    ///   - seed: seeds the choice of inputs that restart dead codes.
    /// - Throws: `KMeansError` for an empty codebook.
    public init(
      codebook: Matrix<Scalar>, metric: DistanceMetric = .squaredEuclidean, seed: UInt64 = 0
    ) throws {
      guard codebook.rowCount > 0, codebook.columnCount > 0 else {
        throw KMeansError.emptyInput("the codebook has no codes")
      }
      self.codebook = codebook
      self.metric = metric
      clusterSizes = [Double](repeating: 1, count: codebook.rowCount)
      sums = codebook.values.map(Double.init)
      random = RandomSource(seed: seed)
    }

    /// The nearest code of every input row, and the quantized rows (those codes).
    /// - Throws: `KMeansError` for a width other than the codebook's, or non-finite inputs.
    public func quantize(_ inputs: Matrix<Scalar>) throws -> (
      quantized: Matrix<Scalar>, indices: [Int]
    ) {
      let indices = try KMeansModel(centers: codebook, metric: metric).predict(inputs)
      return (gatherRows(codebook, at: indices), indices)
    }

    /// The codebook loss mean(‖sg[x] − e‖²): its gradient moves the chosen codes (only).
    @differentiable(reverse,wrt: codebook)
    public static func codebookLoss(
      inputs: Matrix<Scalar>, codebook: Matrix<Scalar>, indices: [Int]
    ) -> Scalar {
      meanSquaredDifference(withoutDerivative(at: inputs), gatherRows(codebook, at: indices))
    }

    /// The commitment loss mean(‖x − sg[e]‖²): its gradient moves the inputs (only).
    @differentiable(reverse,wrt: inputs)
    public static func commitmentLoss(
      inputs: Matrix<Scalar>, codebook: Matrix<Scalar>, indices: [Int]
    ) -> Scalar {
      meanSquaredDifference(inputs, withoutDerivative(at: gatherRows(codebook, at: indices)))
    }

    /// One exponential-moving-average step of the codebook toward the batch: for every code j
    /// with nⱼ inputs summing to sⱼ, Nⱼ ← γNⱼ + (1 − γ)nⱼ, mⱼ ← γmⱼ + (1 − γ)sⱼ, and
    /// eⱼ = mⱼ / Ñⱼ with the Laplace-smoothed Ñⱼ = (Nⱼ + ε)·Σ N / (Σ N + kε). A code whose Nⱼ
    /// falls below ``deadCodeThreshold`` is restarted on a random input row of the batch (its
    /// count reset to 1), so no code stays unused.
    /// - Parameters:
    ///   - inputs: the batch's input rows.
    ///   - indices: their codes, from ``quantize(_:)``.
    public mutating func updateCodebook(inputs: Matrix<Scalar>, indices: [Int]) {
      let k = codebook.rowCount
      let d = codebook.columnCount
      precondition(inputs.columnCount == d && indices.count == inputs.rowCount, "batch shape")
      var counts = [Double](repeating: 0, count: k)
      var batchSums = [Double](repeating: 0, count: k * d)
      let values = inputs.values
      for (row, code) in indices.enumerated() {
        counts[code] += 1
        for column in 0..<d { batchSums[code * d + column] += Double(values[row * d + column]) }
      }
      for code in 0..<k {
        clusterSizes[code] = decay * clusterSizes[code] + (1 - decay) * counts[code]
        for column in 0..<d {
          sums[code * d + column] =
            decay * sums[code * d + column] + (1 - decay) * batchSums[code * d + column]
        }
      }
      let total = clusterSizes.reduce(0, +)
      var updated = [Scalar](repeating: 0, count: k * d)
      for code in 0..<k {
        if clusterSizes[code] < deadCodeThreshold, inputs.rowCount > 0 {
          let row = random.nextIndex(below: inputs.rowCount)
          for column in 0..<d { sums[code * d + column] = Double(values[row * d + column]) }
          clusterSizes[code] = 1
          restartedCodes += 1
        }
        let smoothed =
          (clusterSizes[code] + epsilon) * total / (total + Double(k) * epsilon)
        for column in 0..<d {
          updated[code * d + column] = Scalar(sums[code * d + column] / smoothed)
        }
      }
      codebook = Matrix(checkedValues: updated, rowCount: k, columnCount: d)
    }
  }

  /// The straight-through estimator: `quantized` forward, and backward the upstream gradient
  /// passed to `inputs` unchanged, as if quantization were the identity (VQ-VAE's
  /// x + sg[e − x]).
  @differentiable(reverse,wrt: inputs)
  public func straightThrough<Scalar: KMeansScalar>(
    _ inputs: Matrix<Scalar>, quantized: Matrix<Scalar>
  ) -> Matrix<Scalar> where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    precondition(
      inputs.rowCount == quantized.rowCount && inputs.columnCount == quantized.columnCount,
      "inputs and quantized rows differ in shape")
    return quantized
  }

  /// The value of ``straightThrough(_:quantized:)`` and its pullback (the identity).
  @derivative(of: straightThrough, wrt: inputs)
  public func straightThroughVJP<Scalar: KMeansScalar>(
    _ inputs: Matrix<Scalar>, quantized: Matrix<Scalar>
  ) -> (value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> Matrix<Scalar>)
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    (straightThrough(inputs, quantized: quantized), { $0 })
  }
#endif
