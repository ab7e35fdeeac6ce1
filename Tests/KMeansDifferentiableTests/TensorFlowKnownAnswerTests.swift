#if canImport(_Differentiation)
  import Foundation
  import KMeans
  import KMeansDifferentiable
  import KMeansTestSupport
  import Testing
  import _Differentiation

  /// The fixture written once by Scripts/generate-differentiable-fixtures.py with TensorFlow
  /// 2.15.1's `tf.GradientTape`.
  private struct Fixture: Decodable {
    struct Case: Decodable {
      var value: Double
      var towardPoints: [Float]
      var towardCenters: [Float]
    }
    var n: Int
    var k: Int
    var d: Int
    var temperature: Float
    var points: [Float]
    var centers: [Float]
    var weights: [Float]
    var target: [Float]
    var indices: [Int]
    var cases: [String: Case]

    static func load() throws -> Fixture {
      let path = TestData.path("Tests/KMeansDifferentiableTests/Fixtures/tensorflow-gradients.json")
      return try JSONDecoder().decode(
        Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
  }

  /// ‖ours − theirs‖ / ‖theirs‖ (absolute below 1e-6, for a gradient TensorFlow says is zero).
  private func relativeError(_ ours: [Float], _ theirs: [Float]) -> Double {
    let difference = zip(ours, theirs).reduce(0.0) {
      $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1)
    }
    let norm = theirs.reduce(0.0) { $0 + Double($1) * Double($1) }
    return difference.squareRoot() / max(norm.squareRoot(), 1e-6)
  }

  @Suite("Values and gradients against TensorFlow 2.15's GradientTape (Float, ≤ 1e-5 relative)")
  struct TensorFlowKnownAnswerTests {
    fileprivate func check(
      _ name: String, _ fixture: Fixture, _ value: Float, _ towardPoints: Matrix<Float>,
      _ towardCenters: Matrix<Float>
    ) throws {
      let expected = try #require(fixture.cases[name], "\(name) in the fixture")
      #expect(abs(Double(value) - expected.value) <= 1e-5 * max(abs(expected.value), 1), "\(name)")
      let points =
        towardPoints.isEmptyTangent
        ? [Float](repeating: 0, count: fixture.n * fixture.d) : towardPoints.values
      let centers =
        towardCenters.isEmptyTangent
        ? [Float](repeating: 0, count: fixture.k * fixture.d) : towardCenters.values
      #expect(relativeError(points, expected.towardPoints) <= 1e-5, "\(name) toward the points")
      #expect(relativeError(centers, expected.towardCenters) <= 1e-5, "\(name) toward the centers")
    }

    @Test(
      "soft k-means loss and soft assignments",
      arguments: [DistanceMetric.squaredEuclidean, .cosine])
    func softKMeans(metric: DistanceMetric) throws {
      let fixture = try Fixture.load()
      let points = try Matrix(rowCount: fixture.n, columnCount: fixture.d, values: fixture.points)
      let centers = try Matrix(rowCount: fixture.k, columnCount: fixture.d, values: fixture.centers)
      let weights = try Matrix(rowCount: fixture.n, columnCount: fixture.k, values: fixture.weights)
      let temperature = fixture.temperature
      let (loss, (towardPoints, towardCenters)) = valueWithGradient(at: points, centers) { x, c in
        SoftKMeans.loss(points: x, centers: c, temperature: temperature, metric: metric)
      }
      try check("softKMeansLoss/\(metric.rawValue)", fixture, loss, towardPoints, towardCenters)
      let (weighted, (assignmentPoints, assignmentCenters)) = valueWithGradient(at: points, centers)
      {
        x, c in
        elementwiseProduct(
          SoftKMeans.assignments(points: x, centers: c, temperature: temperature, metric: metric),
          weights
        ).elementSum()
      }
      try check(
        "softAssignments/\(metric.rawValue)", fixture, weighted, assignmentPoints, assignmentCenters
      )
    }

    @Test("DEC's KL(P‖Q) and VQ-VAE's codebook and commitment losses")
    func deepClusteringAndQuantization() throws {
      let fixture = try Fixture.load()
      let points = try Matrix(rowCount: fixture.n, columnCount: fixture.d, values: fixture.points)
      let centers = try Matrix(rowCount: fixture.k, columnCount: fixture.d, values: fixture.centers)
      let target = try Matrix(rowCount: fixture.n, columnCount: fixture.k, values: fixture.target)
      let (kl, (towardEmbedding, towardCenters)) = valueWithGradient(at: points, centers) { z, mu in
        DeepEmbeddedClustering.loss(embedding: z, centers: mu, target: target)
      }
      try check("deepEmbeddedClustering", fixture, kl, towardEmbedding, towardCenters)

      let indices = fixture.indices
      #expect(indices == (try VectorQuantizer(codebook: centers).quantize(points).indices))
      let (codebookLoss, towardCodebook) = valueWithGradient(at: centers) { c in
        VectorQuantizer.codebookLoss(inputs: points, codebook: c, indices: indices)
      }
      try check("codebookLoss", fixture, codebookLoss, .zero, towardCodebook)
      let (commitment, towardInputs) = valueWithGradient(at: points) { x in
        VectorQuantizer.commitmentLoss(inputs: x, codebook: centers, indices: indices)
      }
      try check("commitmentLoss", fixture, commitment, towardInputs, .zero)
    }
  }

  extension Matrix {
    /// The zero tangent (0 × 0).
    fileprivate var isEmptyTangent: Bool { rowCount == 0 && columnCount == 0 }
  }
#endif
