import KMeans
import KMeansTestSupport
import Testing

@Suite("Lloyd's algorithm")
struct LloydTests {
  /// scikit-learn's hand-computed case (its test_kmeans_results, without weights).
  @Test("the four-point case", arguments: [1, 2])
  func fourPoints(threads: Int) throws {
    let data = try Matrix<Double>(rows: [[0, 0], [0.5, 0], [0.5, 1], [1, 1]])
    var configuration = KMeansConfiguration(clusterCount: 2)
    configuration.initialization = .centers(try Matrix<Double>(rows: [[0, 0], [1, 1]]))
    configuration.threadCount = threads
    let result = try KMeansModel.fit(data, configuration: configuration)
    #expect(result.labels == [0, 0, 1, 1])
    #expect(result.model.centers == (try Matrix(rows: [[0.25, 0], [0.75, 1]])))
    #expect(result.model.inertia == 0.25)
    #expect(result.model.iterationCount == 2)
    #expect(result.model.stopReason == .labelsUnchanged)
  }

  /// The same bits for any thread count: chunks are fixed, sums run in row order.
  @Test(
    "bit-identical for 1, 2 and 7 threads",
    arguments: [DistanceMetric.squaredEuclidean, .cosine])
  func threadCountDoesNotChangeTheResult(metric: DistanceMetric) throws {
    let data = try TestData.blobs(
      rows: 20_000, dimension: 16, clusters: 24, seed: 11, as: Float.self)
    var results: [KMeansFitResult<Float>] = []
    for threads in [1, 2, 7] {
      var configuration = KMeansConfiguration(clusterCount: 24)
      configuration.metric = metric
      configuration.seed = 5
      configuration.threadCount = threads
      configuration.maxIterations = 15
      results.append(try KMeansModel.fit(data, configuration: configuration))
    }
    for other in results.dropFirst() {
      #expect(other.model.centers.values == results[0].model.centers.values)
      #expect(other.labels == results[0].labels)
      #expect(other.model.inertia.bitPattern == results[0].model.inertia.bitPattern)
      #expect(
        other.model.iterationStatistics.map(\.loss)
          == results[0].model.iterationStatistics.map(\.loss))
    }
  }

  @Test("the same seed gives the same clustering; another seed another start")
  func seeds() throws {
    let data = try TestData.blobs(rows: 3000, dimension: 5, clusters: 30, seed: 2, as: Double.self)
    func fit(_ seed: UInt64, _ initialization: Initialization) throws -> KMeansFitResult<Double> {
      var configuration = KMeansConfiguration(clusterCount: 30)
      configuration.seed = seed
      configuration.initialization = initialization
      configuration.maxIterations = 1
      return try KMeansModel.fit(data, configuration: configuration)
    }
    for initialization in [Initialization.random, .kMeansPlusPlus()] {
      #expect(try fit(1, initialization).model.centers == fit(1, initialization).model.centers)
      #expect(try fit(1, initialization).model.centers != fit(2, initialization).model.centers)
    }
  }

  @Test("Float and Double agree on digits")
  func floatAndDoubleAgree() throws {
    var configuration = KMeansConfiguration(clusterCount: 10)
    configuration.seed = 3
    let single = try KMeansModel.fit(TestData.digits(Float.self).0, configuration: configuration)
    let double = try KMeansModel.fit(TestData.digits(Double.self).0, configuration: configuration)
    let agreement = try ClusteringAgreement.adjustedRandIndex(single.labels, double.labels)
    #expect(agreement > 0.999)
    #expect(abs(single.model.inertia - double.model.inertia) / double.model.inertia < 1e-4)
  }

  @Test("the objective never increases", arguments: [DistanceMetric.squaredEuclidean, .cosine])
  func objectiveNeverIncreases(metric: DistanceMetric) throws {
    var configuration = KMeansConfiguration(clusterCount: 12)
    configuration.metric = metric
    configuration.initialization = .random
    configuration.tolerance = 0
    let result = try KMeansModel.fit(TestData.digits(Double.self).0, configuration: configuration)
    let losses = result.model.iterationStatistics.map(\.loss) + [result.model.inertia]
    #expect(losses.count > 3)
    for (before, after) in zip(losses, losses.dropFirst()) {
      #expect(after <= before * (1 + 1e-12), "loss rose from \(before) to \(after)")
    }
  }

  @Test("cosine: unit centers, and labels are the most similar center")
  func cosine() throws {
    let (data, _) = try TestData.digits(Double.self)
    var configuration = KMeansConfiguration(clusterCount: 8)
    configuration.metric = .cosine
    let result = try KMeansModel.fit(data, configuration: configuration)
    for row in 0..<8 {
      let norm = result.model.centers.row(row).reduce(0) { $0 + $1 * $1 }.squareRoot()
      #expect(abs(norm - 1) < 1e-12)
    }
    let distances = try result.model.transform(data)
    for row in stride(from: 0, to: data.rowCount, by: 97) {
      let values = distances.row(row)
      #expect(values.firstIndex(of: values.min()!) == result.labels[row])
      let x = data.row(row)
      let c = result.model.centers.row(result.labels[row])
      let cosine =
        zip(x, c).reduce(0) { $0 + $1.0 * $1.1 } / x.reduce(0) { $0 + $1 * $1 }.squareRoot()
      #expect(abs(result.distances[row] - (1 - cosine)) < 1e-12)
    }
    #expect(abs(result.model.inertia - result.distances.reduce(0, +)) < 1e-9)
  }

  @Test("predict, score and transform agree with training")
  func predictScoreTransform() throws {
    let data = try TestData.blobs(rows: 5000, dimension: 7, clusters: 9, seed: 4, as: Float.self)
    let result = try KMeansModel.fit(data, configuration: KMeansConfiguration(clusterCount: 9))
    #expect(try result.model.predict(data) == result.labels)
    let score = try result.model.score(data)
    #expect(abs(score - result.model.inertia) <= 1e-9 * result.model.inertia)
    let distances = try result.model.allDistances(data)
    #expect(distances.rowCount == 5000 && distances.columnCount == 9)
    let euclidean = try result.model.transform(data)
    #expect(euclidean.values == distances.values.map { max(0, $0).squareRoot() })
    for row in stride(from: 0, to: 5000, by: 331) {
      let values = distances.row(row)
      let nearest = values.firstIndex(of: values.min()!)!
      #expect(nearest == result.labels[row])
      #expect(abs(values[nearest] - result.distances[row]) <= 1e-3 * max(1, result.distances[row]))
    }
  }

  @Test("the relative-loss tolerance stops early and labels match the final centers")
  func relativeTolerance() throws {
    let (data, _) = try TestData.digits(Double.self)
    var configuration = KMeansConfiguration(clusterCount: 10)
    configuration.tolerance = 0
    configuration.relativeTolerance = 1e-2
    let result = try KMeansModel.fit(data, configuration: configuration)
    #expect(result.model.stopReason == .relativeLossTolerance)
    let losses = result.model.iterationStatistics.map(\.loss)
    let last = losses[losses.count - 1]
    let previous = losses[losses.count - 2]
    #expect(abs(last - previous) / (1 + abs(previous)) < 1e-2)
    #expect(try result.model.predict(data) == result.labels)
  }

  @Test("restarts keep the lowest inertia")
  func restarts() throws {
    let (data, _) = try TestData.digits(Float.self)
    var configuration = KMeansConfiguration(clusterCount: 10)
    configuration.initialization = .random
    configuration.seed = 2  // a seed whose first run lands in a poor optimum
    let one = try KMeansModel.fit(data, configuration: configuration)
    configuration.restarts = 6
    let six = try KMeansModel.fit(data, configuration: configuration)
    // Restart 0 draws the single run's stream: strictly lower inertia shows the other five ran
    // (on the digits from random rows they find a better optimum), and the winner is returned.
    #expect(six.model.inertia < one.model.inertia)
    #expect(six.model.centers != one.model.centers)
    #expect(try six.model.score(data) == six.model.inertia)
  }

  @Test("random initialisation picks distinct rows even among duplicates")
  func randomPicksDistinctRows() throws {
    // 1000 rows but only 5 distinct points.
    let rows = (0..<1000).map { [Double($0 % 5), 1] }
    let data = try Matrix<Double>(rows: rows)
    var configuration = KMeansConfiguration(clusterCount: 5)
    configuration.initialization = .random
    configuration.maxIterations = 1
    let result = try KMeansModel.fit(data, configuration: configuration)
    let firstColumn = (0..<5).map { result.model.centers[$0, 0] }
    #expect(Set(firstColumn) == [0, 1, 2, 3, 4])
    #expect(result.model.inertia == 0)
  }

  @Test("k-means++ candidates follow TensorFlow's retries and the 2 + ln k heuristic")
  func kMeansPlusPlusCandidates() {
    #expect(Initialization.kMeansPlusPlusCandidates(retries: 2, clusterCount: 100) == 3)
    #expect(Initialization.kMeansPlusPlusCandidates(retries: 0, clusterCount: 100) == 1)
    #expect(Initialization.kMeansPlusPlusCandidates(retries: -1, clusterCount: 10) == 4)
    #expect(Initialization.kMeansPlusPlusCandidates(retries: -1, clusterCount: 256) == 7)
  }

  @Test("k-means++ beats random starts on well-separated blobs")
  func kMeansPlusPlusQuality() throws {
    let data = try TestData.blobs(rows: 4000, dimension: 4, clusters: 20, seed: 9, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 20)
    configuration.maxIterations = 1
    var plusPlus = 0.0
    var random = 0.0
    for seed in 0..<5 as Range<UInt64> {
      configuration.seed = seed
      configuration.initialization = .kMeansPlusPlus()
      plusPlus += try KMeansModel.fit(data, configuration: configuration).model.iterationStatistics[
        0
      ].loss
      configuration.initialization = .random
      random += try KMeansModel.fit(data, configuration: configuration).model.iterationStatistics[0]
        .loss
    }
    #expect(plusPlus < random)
  }
}

@Suite("Frozen centers")
struct FrozenCenterTests {
  @Test("the first m centers stay; the others train and take the remaining structure")
  func frozen() throws {
    let data = try TestData.blobs(rows: 4000, dimension: 3, clusters: 6, seed: 21, as: Double.self)
    // An existing two-word codebook (two data rows), extended by four new centers.
    var initial = data.rows(0..<6)
    initial[0, 0] += 0.25
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.initialization = .centers(initial)
    configuration.frozenCenterCount = 2
    let result = try KMeansModel.fit(data, configuration: configuration)
    #expect(result.model.centers.rows(0..<2) == initial.rows(0..<2))
    #expect(result.model.centers.rows(2..<6) != initial.rows(2..<6))
    #expect(Set(result.labels).isSuperset(of: [0, 1]))
    // Unfrozen, the same start moves every center.
    configuration.frozenCenterCount = 0
    let free = try KMeansModel.fit(data, configuration: configuration)
    #expect(free.model.centers.row(0) != initial.row(0))
    // Mini-batch keeps them too.
    configuration.frozenCenterCount = 2
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 256
    miniBatch.epochs = 2
    let mini = try fitMiniBatch(data, configuration: configuration, miniBatch: miniBatch)
    #expect(mini.model.centers.rows(0..<2) == initial.rows(0..<2))
    configuration.frozenCenterCount = 6
    #expect(throws: KMeansError.self) { try configuration.validate() }
  }
}
