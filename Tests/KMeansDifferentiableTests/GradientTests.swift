#if canImport(_Differentiation)
  import Foundation
  import KMeans
  import KMeansDifferentiable
  import KMeansKernels
  import KMeansTestSupport
  import Testing
  import _Differentiation

  /// A seeded `rows × columns` matrix with entries in [-scale, scale].
  private func randomMatrix(
    _ rows: Int, _ columns: Int, seed: UInt64, scale: Double = 1
  ) throws -> Matrix<Double> {
    var random = RandomSource(seed: seed)
    return try Matrix(
      rowCount: rows, columnCount: columns,
      values: (0..<(rows * columns)).map { _ in (random.nextUnit() * 2 - 1) * scale })
  }

  /// The gradient of `f` at `x` by central differences (each entry in turn), with the
  /// five-point stencil (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h, h = 1e-4: its error,
  /// O(h⁴) + O(ε/h), stays far below the 1e-6 the derivatives are held to.
  private func numericGradient(_ x: Matrix<Double>, _ f: (Matrix<Double>) -> Double)
    -> Matrix<Double>
  {
    var gradient = Matrix<Double>(zerosWithRowCount: x.rowCount, columnCount: x.columnCount)
    let h = 1e-4
    func shifted(_ row: Int, _ column: Int, _ steps: Double) -> Double {
      var moved = x
      moved[row, column] += steps * h
      return f(moved)
    }
    for row in 0..<x.rowCount {
      for column in 0..<x.columnCount {
        let difference =
          -shifted(row, column, 2) + 8 * shifted(row, column, 1) - 8 * shifted(row, column, -1)
          + shifted(row, column, -2)
        gradient[row, column] = difference / (12 * h)
      }
    }
    return gradient
  }

  /// ‖a − b‖ / max(‖b‖, 1e-3) over all entries (a gradient that is zero, as under cosine with
  /// one column, is compared absolutely).
  private func relativeError(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    let difference = zip(a.values, b.values).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    let norm = b.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return difference.squareRoot() / max(norm, 1e-3)
  }

  /// Shapes (n, k, d) with a seed each: small, tall, wide, one center, one column.
  private let shapes: [(Int, Int, Int, UInt64)] = [
    (7, 3, 4, 1), (20, 5, 2, 2), (3, 6, 9, 3), (5, 1, 3, 4), (9, 4, 1, 5),
  ]

  @Suite("Reverse derivatives against central finite differences (Double, ≤ 1e-6 relative)")
  struct GradientTests {
    @Test(
      "pairwise distances, toward points and centers",
      arguments: [DistanceMetric.squaredEuclidean, .cosine])
    func distances(metric: DistanceMetric) throws {
      for (n, k, d, seed) in shapes {
        let points = try randomMatrix(n, d, seed: seed)
        let centers = try randomMatrix(k, d, seed: seed + 100)
        // A random weighting of the n × k output makes a scalar whose gradient checks the
        // whole pullback.
        let weights = try randomMatrix(n, k, seed: seed + 200)
        func f(_ x: Matrix<Double>, _ c: Matrix<Double>) -> Double {
          zip(pairwiseDistances(x, c, metric: metric).values, weights.values).reduce(0) {
            $0 + $1.0 * $1.1
          }
        }
        let (towardPoints, towardCenters) = gradient(at: points, centers) { x, c in
          elementwiseProduct(pairwiseDistances(x, c, metric: metric), weights).elementSum()
        }
        let numericPoints = numericGradient(points) { f($0, centers) }
        let numericCenters = numericGradient(centers) { f(points, $0) }
        #expect(relativeError(towardPoints, numericPoints) <= 1e-6, "\(n)×\(k)×\(d) \(metric)")
        #expect(relativeError(towardCenters, numericCenters) <= 1e-6, "\(n)×\(k)×\(d) \(metric)")
      }
    }

    @Test("row softmax and row log-sum-exp")
    func softmaxAndLogSumExp() throws {
      for (n, k, _, seed) in shapes {
        let logits = try randomMatrix(n, k, seed: seed, scale: 3)
        let weights = try randomMatrix(n, k, seed: seed + 1)
        let analytic = gradient(at: logits) { z in
          elementwiseProduct(rowSoftmax(z), weights).elementSum()
        }
        let numeric = numericGradient(logits) { z in
          zip(rowSoftmax(z).values, weights.values).reduce(0) { $0 + $1.0 * $1.1 }
        }
        #expect(relativeError(analytic, numeric) <= 1e-6)
        let rowWeights = try randomMatrix(1, n, seed: seed + 2)
        let analyticLSE = gradient(at: logits) { z in
          matrixProduct(rowWeights, rowLogSumExp(z)).elementSum()
        }
        let numericLSE = numericGradient(logits) { z in
          zip(rowLogSumExp(z).values, rowWeights.values).reduce(0) { $0 + $1.0 * $1.1 }
        }
        #expect(relativeError(analyticLSE, numericLSE) <= 1e-6)
      }
    }

    @Test("matrix product, scaling and sums")
    func productAndScaling() throws {
      let a = try randomMatrix(4, 3, seed: 7)
      let b = try randomMatrix(3, 5, seed: 8)
      let (towardA, towardB) = gradient(at: a, b) { a, b in
        matrixProduct(a, b).scaled(by: 1.5).elementSum()
      }
      let numericA = numericGradient(a) { 1.5 * matrixProduct($0, b).values.reduce(0, +) }
      let numericB = numericGradient(b) { 1.5 * matrixProduct(a, $0).values.reduce(0, +) }
      #expect(relativeError(towardA, numericA) <= 1e-6)
      #expect(relativeError(towardB, numericB) <= 1e-6)
    }

    @Test(
      "the soft k-means loss and assignments, toward points and centers",
      arguments: [DistanceMetric.squaredEuclidean, .cosine])
    func softKMeans(metric: DistanceMetric) throws {
      for (n, k, d, seed) in shapes {
        let points = try randomMatrix(n, d, seed: seed, scale: 2)
        let centers = try randomMatrix(k, d, seed: seed + 50, scale: 2)
        for temperature in [0.3, 2.0] {
          let (towardPoints, towardCenters) = gradient(at: points, centers) { x, c in
            SoftKMeans.loss(points: x, centers: c, temperature: temperature, metric: metric)
          }
          let loss = { (x: Matrix<Double>, c: Matrix<Double>) in
            SoftKMeans.loss(points: x, centers: c, temperature: temperature, metric: metric)
          }
          #expect(
            relativeError(towardPoints, numericGradient(points) { loss($0, centers) }) <= 1e-6)
          #expect(
            relativeError(towardCenters, numericGradient(centers) { loss(points, $0) }) <= 1e-6)

          let weights = try randomMatrix(n, k, seed: seed + 70)
          let assignmentsGradient = gradient(at: centers) { c in
            elementwiseProduct(
              SoftKMeans.assignments(
                points: points, centers: c, temperature: temperature, metric: metric),
              weights
            ).elementSum()
          }
          let numeric = numericGradient(centers) { c in
            zip(
              SoftKMeans.assignments(
                points: points, centers: c, temperature: temperature, metric: metric
              ).values, weights.values
            ).reduce(0) { $0 + $1.0 * $1.1 }
          }
          #expect(relativeError(assignmentsGradient, numeric) <= 1e-6)
        }
      }
    }
  }

  @Suite("Reverse derivatives past the fused passes' 128-row tiles and 4,096-row chunks")
  struct LargeGradientTests {
    @Test(
      "n = 4,300: toward the centers, and toward the rows on each tile and chunk edge",
      arguments: [DistanceMetric.squaredEuclidean, .cosine])
    func pastTheChunks(metric: DistanceMetric) throws {
      let n = 4_300
      let points = try randomMatrix(n, 3, seed: 11, scale: 2)
      let centers = try randomMatrix(3, 3, seed: 12, scale: 2)
      let loss = { (x: Matrix<Double>, c: Matrix<Double>) in
        SoftKMeans.loss(points: x, centers: c, temperature: 0.7, metric: metric)
      }
      let (towardPoints, towardCenters) = gradient(at: points, centers) { x, c in
        SoftKMeans.loss(points: x, centers: c, temperature: 0.7, metric: metric)
      }
      #expect(relativeError(towardCenters, numericGradient(centers) { loss(points, $0) }) <= 1e-6)
      // Rows on both sides of a tile edge (128), a chunk edge (4,096) and the last row.
      for row in [0, 127, 128, 4_095, 4_096, n - 1] {
        for column in 0..<3 {
          func shifted(_ steps: Double) -> Double {
            var moved = points
            moved[row, column] += steps * 1e-4
            return loss(moved, centers)
          }
          let numeric = (-shifted(2) + 8 * shifted(1) - 8 * shifted(-1) + shifted(-2)) / 12e-4
          let exact = towardPoints[row, column]
          #expect(
            abs(exact - numeric) <= 1e-6 * max(abs(numeric), 1e-3),
            "row \(row) column \(column): \(exact) against \(numeric)")
        }
      }
    }
  }

  @Suite("Soft k-means as the temperature goes to 0")
  struct SoftKMeansLimitTests {
    @Test("the loss tends to the inertia, within τ·n·log k, and the assignments to the labels")
    func limit() throws {
      let (digits, _) = try TestData.digits(Double.self)
      var configuration = KMeansConfiguration(clusterCount: 10)
      configuration.seed = 1
      let model = try KMeansModel.fit(digits, configuration: configuration).model
      let inertia = try model.score(digits)
      let labels = try model.predict(digits)
      var previousGap = Double.infinity
      for temperature in [100.0, 10, 1, 0.1] {
        let loss = SoftKMeans.loss(points: digits, centers: model.centers, temperature: temperature)
        let gap = inertia - loss
        let bound = temperature * Double(digits.rowCount) * Foundation.log(10)
        #expect(gap >= -1e-6 * inertia && gap <= bound, "τ = \(temperature): gap \(gap)")
        #expect(gap < previousGap)
        previousGap = gap
      }
      let hard = SoftKMeans.assignments(points: digits, centers: model.centers, temperature: 0.1)
      let argmax = (0..<hard.rowCount).map { row in
        (0..<hard.columnCount).max { hard[row, $0] < hard[row, $1] } ?? 0
      }
      #expect(argmax == labels)
      // Nearly all rows are one-hot already (a few digits lie almost midway between two centers).
      let confident = (0..<hard.rowCount).filter { row in hard[row, labels[row]] > 0.99 }.count
      #expect(Double(confident) >= 0.99 * Double(hard.rowCount), "\(confident) of \(hard.rowCount)")
    }

    @Test("Float follows Double")
    func floatFollowsDouble() throws {
      let points = try randomMatrix(30, 6, seed: 9, scale: 3)
      let centers = try randomMatrix(4, 6, seed: 10, scale: 3)
      let floatPoints = try Matrix<Float>(
        rowCount: 30, columnCount: 6, values: points.values.map(Float.init))
      let floatCenters = try Matrix<Float>(
        rowCount: 4, columnCount: 6, values: centers.values.map(Float.init))
      let (value, (_, towardCenters)) = valueWithGradient(at: points, centers) {
        SoftKMeans.loss(points: $0, centers: $1, temperature: 0.7)
      }
      let (floatValue, (_, floatTowardCenters)) = valueWithGradient(
        at: floatPoints, floatCenters
      ) { SoftKMeans.loss(points: $0, centers: $1, temperature: Float(0.7)) }
      #expect(abs(Double(floatValue) - value) <= 1e-5 * abs(value))
      let asDouble = try Matrix<Double>(
        rowCount: 4, columnCount: 6, values: floatTowardCenters.values.map(Double.init))
      #expect(relativeError(asDouble, towardCenters) <= 1e-5)
    }
  }

  @Suite("Deep embedded clustering")
  struct DeepEmbeddedClusteringTests {
    @Test("the KL loss's gradients toward the embedding and the centers")
    func gradients() throws {
      for (n, k, d, seed) in shapes {
        let embedding = try randomMatrix(n, d, seed: seed, scale: 2)
        let centers = try randomMatrix(k, d, seed: seed + 30, scale: 2)
        let q = DeepEmbeddedClustering.softAssignments(embedding: embedding, centers: centers)
        let target = DeepEmbeddedClustering.targetDistribution(q)
        for alpha in [1.0, 3.0] {
          let loss = { (z: Matrix<Double>, mu: Matrix<Double>) in
            DeepEmbeddedClustering.loss(embedding: z, centers: mu, target: target, alpha: alpha)
          }
          let (towardEmbedding, towardCenters) = gradient(at: embedding, centers) { z, mu in
            DeepEmbeddedClustering.loss(embedding: z, centers: mu, target: target, alpha: alpha)
          }
          #expect(
            relativeError(towardEmbedding, numericGradient(embedding) { loss($0, centers) })
              <= 1e-6)
          #expect(
            relativeError(towardCenters, numericGradient(centers) { loss(embedding, $0) }) <= 1e-6)
        }
      }
    }

    @Test("Q and P are distributions; KL(P‖Q) is ≥ 0 and 0 for P = Q; P is sharper than Q")
    func distributions() throws {
      let embedding = try randomMatrix(40, 3, seed: 21, scale: 3)
      let centers = try randomMatrix(4, 3, seed: 22, scale: 3)
      let q = DeepEmbeddedClustering.softAssignments(embedding: embedding, centers: centers)
      let p = DeepEmbeddedClustering.targetDistribution(q)
      for row in 0..<40 {
        #expect(abs((0..<4).map { q[row, $0] }.reduce(0, +) - 1) < 1e-12)
        #expect(abs((0..<4).map { p[row, $0] }.reduce(0, +) - 1) < 1e-12)
      }
      let loss = DeepEmbeddedClustering.loss(embedding: embedding, centers: centers, target: p)
      #expect(loss > 0)
      let same = DeepEmbeddedClustering.loss(embedding: embedding, centers: centers, target: q)
      #expect(abs(same) < 1e-12)
      let meanMaximum = { (m: Matrix<Double>) in
        (0..<40).map { row in (0..<4).map { m[row, $0] }.max() ?? 0 }.reduce(0, +) / 40
      }
      #expect(meanMaximum(p) > meanMaximum(q))
    }
  }

  @Suite("Vector quantization")
  struct VectorQuantizerTests {
    @Test("nearest codes forward, the identity backward, and the two losses' gradients")
    func straightThroughAndLosses() throws {
      let inputs = try randomMatrix(12, 3, seed: 31, scale: 2)
      let codebook = try randomMatrix(5, 3, seed: 32, scale: 2)
      let quantizer = try VectorQuantizer(codebook: codebook)
      let (quantized, indices) = try quantizer.quantize(inputs)
      #expect(
        indices == (try KMeansModel(centers: codebook, metric: .squaredEuclidean).predict(inputs)))
      for (row, code) in indices.enumerated() {
        #expect(quantized.row(row) == codebook.row(code))
      }
      let weights = try randomMatrix(12, 3, seed: 33)
      let throughInputs = gradient(at: inputs) { x in
        elementwiseProduct(straightThrough(x, quantized: quantized), weights).elementSum()
      }
      #expect(throughInputs == weights)
      let towardCodebook = gradient(at: codebook) { c in
        VectorQuantizer.codebookLoss(inputs: inputs, codebook: c, indices: indices)
      }
      let numericCodebook = numericGradient(codebook) { c in
        meanSquaredDifference(inputs, gatherRows(c, at: indices))
      }
      #expect(relativeError(towardCodebook, numericCodebook) <= 1e-6)
      let towardInputs = gradient(at: inputs) { x in
        VectorQuantizer.commitmentLoss(inputs: x, codebook: codebook, indices: indices)
      }
      let numericInputs = numericGradient(inputs) { x in
        meanSquaredDifference(x, gatherRows(codebook, at: indices))
      }
      #expect(relativeError(towardInputs, numericInputs) <= 1e-6)
    }

    @Test("moving averages pull codes to their inputs' means; a dead code restarts on an input")
    func movingAverages() throws {
      // Two tight groups of inputs, and a third code far from both (it never wins).
      let inputs = try Matrix<Double>(rows: [[0, 0], [0.2, 0], [10, 10], [10.2, 10]])
      let codebook = try Matrix<Double>(rows: [[1, 1], [9, 9], [100, -100]])
      var quantizer = try VectorQuantizer(codebook: codebook, seed: 3)
      quantizer.decay = 0.5
      for _ in 0..<40 {
        let (_, indices) = try quantizer.quantize(inputs)
        quantizer.updateCodebook(inputs: inputs, indices: indices)
      }
      // Each code has moved onto the mean of the inputs it wins (the restarted code may split
      // a group with another code): every input is within 0.1 of its code.
      let (quantized, _) = try quantizer.quantize(inputs)
      #expect(meanSquaredDifference(inputs, quantized) <= 0.1 * 0.1 / 4 + 1e-9)
      #expect(quantizer.restartedCodes >= 1)
      // The restarted code sits on (or near) one of the inputs, not at (100, -100).
      let third = quantizer.codebook.row(2)
      var nearest = Double.infinity
      for row in 0..<4 {
        let gap: [Double] = zip(inputs.row(row), third).map { $0 - $1 }
        nearest = min(nearest, gap.reduce(0) { $0 + $1 * $1 })
      }
      #expect(nearest < 1)
    }
  }

  @Suite("The fused soft-assignment kernels give the same bits on any thread count")
  struct SoftAssignmentDeterminismTests {
    @Test("forward and reverse products on 1 and 3 threads")
    func threads() throws {
      let points = try TestData.blobs(
        rows: 9_000, dimension: 7, clusters: 5, seed: 3, as: Float.self)
      let centers = points.rows(0..<5)
      func run(_ threads: Int) -> ([Float], [Double], [Double], [Float], [Float]) {
        let forward = SoftAssignmentPass.run(
          points: points.values, centers: centers.values, rowCount: 9_000, centerCount: 5,
          dimension: 7, squaredEuclidean: true, inverseTemperature: 0.5, threadCount: threads)
        let backward = SoftAssignmentPass.backwardProducts(
          responsibilities: forward.responsibilities, points: points.values,
          centers: centers.values, rowCount: 9_000, centerCount: 5, dimension: 7,
          threadCount: threads)
        return (
          forward.responsibilities, forward.logSumExp, forward.columnSums,
          backward.responsibilitiesTimesCenters, backward.transposeTimesPoints
        )
      }
      let one = run(1)
      let three = run(3)
      #expect(one.0 == three.0 && one.1 == three.1 && one.2 == three.2)
      #expect(one.3 == three.3 && one.4 == three.4)
    }
  }
#endif
