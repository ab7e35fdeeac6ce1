import Foundation
import KMeans
import KMeansTestSupport
import Testing

/// scikit-learn's `KMeans.fit(X, sample_weight=w)` from given centers, written by
/// Scripts/generate-sklearn-fixtures.py.
struct WeightedFixture: Decodable {
  struct Case: Decodable {
    var name: String
    var dtype: String
    var weights: [Double]
    var initialCenters: [[Double]]
    var labels: [Int]
    var inertia: Double
    var iterations: Int
    var centers: [[Double]]
    var score: Double
  }

  var sklearn: String
  var cases: [Case]

  static let shared: WeightedFixture = {
    let url = TestData.root.appendingPathComponent(
      "Tests/KMeansTests/Fixtures/sklearn-weighted.json")
    do {
      return try JSONDecoder().decode(WeightedFixture.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }()
}

@Suite("Sample weights")
struct SampleWeightTests {
  static let caseNames = WeightedFixture.shared.cases.map { "\($0.name) \($0.dtype)" }

  @Test("weighted Lloyd matches scikit-learn's sample_weight", arguments: caseNames)
  func matchesScikitLearn(caseName: String) throws {
    let known = try #require(
      WeightedFixture.shared.cases.first { "\($0.name) \($0.dtype)" == caseName })
    if known.dtype == "float32" {
      try check(known, as: Float.self)
    } else {
      try check(known, as: Double.self)
    }
  }

  func check<Scalar: KMeansScalar>(_ known: WeightedFixture.Case, as _: Scalar.Type) throws {
    let data: Matrix<Scalar> =
      known.name.hasPrefix("digits")
      ? try TestData.digits(Scalar.self).0
      : try Matrix(rows: SklearnFixture.shared.blobs).converted(to: Scalar.self)
    var configuration = KMeansConfiguration(clusterCount: known.initialCenters.count)
    configuration.initialization = .centers(try Matrix<Double>(rows: known.initialCenters))
    let result = try KMeansModel.fit(data, weights: known.weights, configuration: configuration)
    #expect(result.labels == known.labels)
    #expect(result.model.iterationCount == known.iterations)
    #expect(
      abs(result.model.inertia - known.inertia) / known.inertia < 1e-5,
      "inertia \(result.model.inertia) vs scikit-learn \(known.inertia)")
    for (row, center) in known.centers.enumerated() {
      for (column, value) in center.enumerated() {
        let ours = Double(result.model.centers[row, column])
        #expect(abs(ours - value) <= 1e-4 * max(1, abs(value)), "center \(row), column \(column)")
      }
    }
    let score = try result.model.score(data, weights: known.weights)
    #expect(abs(score - known.score) / known.score < 1e-5)
    if known.name.hasSuffix("empty-cluster") {
      #expect(result.model.iterationStatistics[0].relocatedClusters == 1)
    }
  }

  /// Rows repeated w times and rows of integer weight w are the same data set.
  @Test("integer weights equal repeated rows", arguments: [1, 2])
  func integerWeightsEqualRepetition(threadCount: Int) throws {
    let data = try TestData.blobs(rows: 600, dimension: 5, clusters: 4, seed: 11, as: Double.self)
    let weights = (0..<data.rowCount).map { Double(($0 * 7) % 4) }  // 0, 3, 2, 1, …
    var repeatedRows: [[Double]] = []
    for row in 0..<data.rowCount {
      for _ in 0..<Int(weights[row]) { repeatedRows.append(data.row(row)) }
    }
    let repeated = try Matrix(rows: repeatedRows)
    var configuration = KMeansConfiguration(clusterCount: 4)
    configuration.initialization = .centers(data.rows(0..<4).converted(to: Double.self))
    configuration.threadCount = threadCount
    let weighted = try KMeansModel.fit(data, weights: weights, configuration: configuration)
    let plain = try KMeansModel.fit(repeated, configuration: configuration)
    #expect(weighted.model.iterationCount == plain.model.iterationCount)
    #expect(abs(weighted.model.inertia - plain.model.inertia) <= 1e-9 * plain.model.inertia)
    for row in 0..<4 {
      for column in 0..<5 {
        #expect(abs(weighted.model.centers[row, column] - plain.model.centers[row, column]) < 1e-9)
      }
    }
  }

  @Test("weights of 1 give the unweighted bits, for every initialization")
  func unitWeightsChangeNothing() throws {
    let data = try TestData.blobs(rows: 2000, dimension: 6, clusters: 5, seed: 3, as: Double.self)
    let ones = [Double](repeating: 1, count: data.rowCount)
    for initialization in [
      Initialization.kMeansPlusPlus(), .afkmc2(chainLength: 50), .kmc2(chainLength: 50),
    ] {
      var configuration = KMeansConfiguration(clusterCount: 5)
      configuration.initialization = initialization
      configuration.seed = 9
      let plain = try KMeansModel.fit(data, configuration: configuration)
      let weighted = try KMeansModel.fit(data, weights: ones, configuration: configuration)
      #expect(plain.model.centers == weighted.model.centers, "\(initialization.name)")
      #expect(plain.labels == weighted.labels)
      #expect(plain.model.inertia == weighted.model.inertia)
    }
    let miniBatch = try fitMiniBatch(
      data, configuration: KMeansConfiguration(clusterCount: 5),
      miniBatch: {
        var m = MiniBatchConfiguration()
        m.batchSize = 256
        return m
      }())
    let weightedMiniBatch = try fitMiniBatch(
      data, weights: ones, configuration: KMeansConfiguration(clusterCount: 5),
      miniBatch: {
        var m = MiniBatchConfiguration()
        m.batchSize = 256
        return m
      }())
    #expect(miniBatch.model.centers == weightedMiniBatch.model.centers)
  }

  @Test("seeding never picks a row of weight zero")
  func zeroWeightRowsAreNeverSeeds() throws {
    let data = try TestData.blobs(rows: 1000, dimension: 4, clusters: 6, seed: 5, as: Double.self)
    // Only the first 200 rows carry weight.
    let weights = (0..<data.rowCount).map { $0 < 200 ? 1.0 : 0.0 }
    let allowed = Set((0..<200).map { data.row($0) })
    for initialization in [
      Initialization.kMeansPlusPlus(), .random, .afkmc2(chainLength: 20),
    ] {
      var configuration = KMeansConfiguration(clusterCount: 6)
      configuration.initialization = initialization
      configuration.maxIterations = 1
      var trainer = try KMeansTrainer<Double>(configuration: configuration)
      try trainer.initializeFully(with: data, weights: weights)
      for center in 0..<6 {
        #expect(allowed.contains(trainer.clusters.row(center)), "\(initialization.name)")
      }
    }
  }

  @Test("weighted mini-batch lands near weighted full batch, same bits on 1 and 2 threads")
  func weightedMiniBatch() throws {
    let data = try TestData.blobs(rows: 20000, dimension: 8, clusters: 6, seed: 21, as: Double.self)
    let weights = (0..<data.rowCount).map { Double($0 % 5) * 0.5 }
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.seed = 4
    let full = try KMeansModel.fit(data, weights: weights, configuration: configuration)
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 512
    configuration.threadCount = 1
    let one = try fitMiniBatch(
      data, weights: weights, configuration: configuration, miniBatch: miniBatch)
    configuration.threadCount = 2
    let two = try fitMiniBatch(
      data, weights: weights, configuration: configuration, miniBatch: miniBatch)
    #expect(one.model.centers == two.model.centers)
    #expect(one.model.inertia < 1.05 * full.model.inertia)
    #expect(abs(one.model.inertia - (try one.model.score(data, weights: weights))) < 1e-6)
  }

  @Test(
    "bad weights are typed errors naming the row",
    arguments: [
      ([1, -1, 1, 1], KMeansError.invalidWeight(row: 1, value: -1)),
      ([1, 1, .nan, 1], KMeansError.invalidWeight(row: 2, value: .nan)),
      ([1, 1, 1, .infinity], KMeansError.invalidWeight(row: 3, value: .infinity)),
    ] as [([Double], KMeansError)])
  func badWeights(weights: [Double], expected: KMeansError) throws {
    let data = try Matrix<Double>(rows: [[0, 0], [1, 1], [2, 2], [3, 3]])
    do {
      _ = try KMeansModel.fit(
        data, weights: weights, configuration: KMeansConfiguration(clusterCount: 2))
      Issue.record("no error for \(weights)")
    } catch let error as KMeansError {
      // NaN never equals itself: compare the messages.
      #expect(error.description == expected.description)
    }
  }

  @Test("all-zero and mis-sized weights are rejected")
  func zeroAndMisSizedWeights() throws {
    let data = try Matrix<Double>(rows: [[0, 0], [1, 1], [2, 2], [3, 3]])
    let configuration = KMeansConfiguration(clusterCount: 2)
    #expect(throws: KMeansError.self) {
      try KMeansModel.fit(data, weights: [0, 0, 0, 0], configuration: configuration)
    }
    #expect(throws: KMeansError.shapeMismatch("3 sample weights for 4 rows")) {
      try KMeansModel.fit(data, weights: [1, 1, 1], configuration: configuration)
    }
    #expect(throws: KMeansError.self) {
      try fitMiniBatch(data, weights: [1, -2, 1, 1], configuration: configuration)
    }
  }
}
