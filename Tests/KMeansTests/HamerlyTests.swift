import Foundation
import KMeansTestSupport
import Testing

@testable import KMeans

/// Hamerly's bounds must change the work, never the result.
@Suite("Hamerly's exact bounded Lloyd")
struct HamerlyTests {
  func fit(
    _ data: Matrix<Double>, k: Int, algorithm: LloydAlgorithm, threads: Int = 2,
    weights: [Double]? = nil, frozen: Int = 0, initial: Matrix<Double>? = nil
  ) throws -> KMeansFitResult<Double> {
    var configuration = KMeansConfiguration(clusterCount: k)
    configuration.algorithm = algorithm
    configuration.threadCount = threads
    configuration.tolerance = 0
    configuration.maxIterations = 50
    configuration.seed = 17
    configuration.frozenCenterCount = frozen
    if let initial { configuration.initialization = .centers(initial) }
    return try KMeansModel.fit(data, weights: weights, configuration: configuration)
  }

  func expectSame(_ a: KMeansFitResult<Double>, _ b: KMeansFitResult<Double>) {
    #expect(a.labels == b.labels)
    #expect(a.model.centers == b.model.centers)
    #expect(a.model.inertia == b.model.inertia)
    #expect(a.model.iterationCount == b.model.iterationCount)
    #expect(a.model.iterationStatistics.map(\.loss) == b.model.iterationStatistics.map(\.loss))
    #expect(
      a.model.iterationStatistics.map(\.changedLabels)
        == b.model.iterationStatistics.map(\.changedLabels))
  }

  @Test(
    "the same labels, centers, losses and iterations as Lloyd", arguments: [3, 16, 17, 40, 100])
  func sameAsLloyd(k: Int) throws {
    let data = try TestData.blobs(
      rows: 12000, dimension: 12, clusters: 30, seed: 9, as: Double.self)
    let lloyd = try fit(data, k: k, algorithm: .lloyd)
    let hamerly = try fit(data, k: k, algorithm: .hamerly)
    expectSame(lloyd, hamerly)
    #expect(lloyd.model.iterationCount >= 3)
    // The bounds did their job: after the first pass, most points were never re-assigned.
    let assigned = hamerly.model.iterationStatistics.compactMap(\.fullyAssignedPoints)
    #expect(assigned.count == hamerly.model.iterationCount)
    #expect(assigned.first == data.rowCount)
    #expect(assigned.last ?? data.rowCount < data.rowCount / 4)
    #expect(lloyd.model.iterationStatistics.allSatisfy { $0.fullyAssignedPoints == nil })
  }

  @Test("with weights, frozen centers, an empty cluster, and on any thread count")
  func sameAsLloydEverywhere() throws {
    let data = try TestData.blobs(rows: 9000, dimension: 6, clusters: 20, seed: 4, as: Double.self)
    let weights = (0..<data.rowCount).map { Double($0 % 4) }
    var initial = data.rows(0..<24)
    for column in 0..<6 { initial[23, column] = 500 }  // empty after the first assignment
    let lloyd = try fit(
      data, k: 24, algorithm: .lloyd, weights: weights, frozen: 2, initial: initial)
    #expect(lloyd.model.iterationStatistics[0].relocatedClusters >= 1)
    for threads in [1, 2, 3] {
      let hamerly = try fit(
        data, k: 24, algorithm: .hamerly, threads: threads, weights: weights, frozen: 2,
        initial: initial)
      expectSame(lloyd, hamerly)
    }
  }

  @Test("Float data: the same result as Lloyd on the digits")
  func floatDigits() throws {
    let (digits, _) = try TestData.digits(Float.self)
    var configuration = KMeansConfiguration(clusterCount: 30)
    configuration.seed = 3
    configuration.algorithm = .lloyd
    let lloyd = try KMeansModel.fit(digits, configuration: configuration)
    configuration.algorithm = .hamerly
    let hamerly = try KMeansModel.fit(digits, configuration: configuration)
    #expect(lloyd.labels == hamerly.labels)
    #expect(lloyd.model.centers == hamerly.model.centers)
    #expect(lloyd.model.inertia == hamerly.model.inertia)
  }

  /// Lloyd and Hamerly from the same seed: the same labels, centers, losses, changed counts
  /// and iterations, bit for bit, and the bounds saved work.
  func expectSameAsLloyd<Scalar: KMeansScalar>(
    _ fit: (KMeansConfiguration) throws -> KMeansFitResult<Scalar>, k: Int,
    metric: DistanceMetric, rows: Int, maxIterations: Int = 50, savesWork: Bool = true
  ) throws {
    var configuration = KMeansConfiguration(clusterCount: k)
    configuration.metric = metric
    configuration.maxIterations = maxIterations
    configuration.tolerance = 0
    configuration.seed = 23
    configuration.algorithm = .lloyd
    let lloyd = try fit(configuration)
    configuration.algorithm = .hamerly
    let hamerly = try fit(configuration)
    #expect(lloyd.labels == hamerly.labels)
    #expect(lloyd.model.centers == hamerly.model.centers)
    #expect(lloyd.model.inertia == hamerly.model.inertia)
    #expect(lloyd.model.iterationCount == hamerly.model.iterationCount)
    #expect(
      lloyd.model.iterationStatistics.map(\.loss) == hamerly.model.iterationStatistics.map(\.loss))
    #expect(
      lloyd.model.iterationStatistics.map(\.changedLabels)
        == hamerly.model.iterationStatistics.map(\.changedLabels))
    let work = hamerly.model.iterationStatistics.compactMap(\.fullyAssignedPoints)
    #expect(work.count == hamerly.model.iterationCount)
    if savesWork { #expect(work.dropFirst().reduce(0, +) < work.dropFirst().count * rows) }
  }

  // 96 columns × 200 centers: a shape the bfloat16 screen takes on CPUs with AVX512_BF16, so
  // that Lloyd's labels come through the screen and Hamerly's (which need a runner-up) from
  // the float32 kernel. Five times as many centers as blobs: the bounds save little here.
  @Test(
    "embedding widths (the bfloat16 screen's shapes): the same as Lloyd, both metrics",
    arguments: DistanceMetric.allCases)
  func screenedWidths(metric: DistanceMetric) throws {
    let data = try TestData.blobs(rows: 1200, dimension: 96, clusters: 40, seed: 8, as: Float.self)
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: 200, metric: metric, rows: 1200,
      maxIterations: 8, savesWork: false)
  }

  @Test("cosine (bounds between unit vectors): the same as Lloyd, Float and Double")
  func cosine() throws {
    let data = try TestData.blobs(rows: 6000, dimension: 10, clusters: 25, seed: 2, as: Double.self)
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: 20, metric: .cosine, rows: 6000)
    let floats = data.converted(to: Float.self)
    try expectSameAsLloyd(
      { try KMeansModel.fit(floats, configuration: $0) }, k: 20, metric: .cosine, rows: 6000)
  }

  @Test("sparse rows, both metrics: the same as Lloyd", arguments: DistanceMetric.allCases)
  func sparse(metric: DistanceMetric) throws {
    var random = RandomSource(seed: 8)
    let dense = try TestData.blobs(rows: 4000, dimension: 30, clusters: 18, seed: 6, as: Float.self)
    // About a third of the values stored.
    var values = dense.values
    for index in values.indices where random.nextUnit() < 0.66 { values[index] = 0 }
    let data = SparseMatrix(try Matrix(rowCount: 4000, columnCount: 30, values: values))
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: 16, metric: metric, rows: 4000)
  }

  /// The rounding of ‖c‖² − 2x·c here is larger than many gaps between centers: Lloyd's own
  /// labels carry it, and the bounds (whose margin covers it) must not decide differently.
  @Test("far from the origin (norms about 1e4, Float), where ‖c‖² − 2x·c cancels")
  func farFromOrigin() throws {
    let blobs = try TestData.blobs(rows: 2000, dimension: 16, clusters: 24, seed: 4, as: Float.self)
    let data = try Matrix(
      rowCount: 2000, columnCount: 16, values: blobs.values.map { $0 + 2500 })
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: 24, metric: .squaredEuclidean,
      rows: 2000, maxIterations: 30, savesWork: false)
    // Moderately far (norms about 1e3): the bounds still save work, and change nothing.
    let near = try Matrix(
      rowCount: 2000, columnCount: 16, values: blobs.values.map { $0 + 250 })
    try expectSameAsLloyd(
      { try KMeansModel.fit(near, configuration: $0) }, k: 24, metric: .squaredEuclidean,
      rows: 2000, maxIterations: 30)
  }
}

@Suite("Seeding on a sample")
struct SeedingSampleTests {
  @Test("a sample of rows seeds as well as all rows, deterministically, on any thread count")
  func sampledSeeding() throws {
    let data = try TestData.blobs(rows: 40000, dimension: 8, clusters: 20, seed: 12, as: Float.self)
    var configuration = KMeansConfiguration(clusterCount: 20)
    configuration.seed = 5
    configuration.seedingSampleSize = Int.max
    let full = try KMeansModel.fit(data, configuration: configuration)
    configuration.seedingSampleSize = 4000
    configuration.threadCount = 1
    let sampled = try KMeansModel.fit(data, configuration: configuration)
    configuration.threadCount = 2
    let sampledTwoThreads = try KMeansModel.fit(data, configuration: configuration)
    #expect(sampled.model.centers == sampledTwoThreads.model.centers)
    #expect(sampled.model.centers != full.model.centers)  // the sample was used
    #expect(sampled.model.inertia < 1.02 * full.model.inertia)
    configuration.seedingSampleSize = 10
    #expect(throws: KMeansError.self) { try configuration.validate() }
  }

  @Test("automatic seeding reads all rows within the work budget, else a sample sized by it")
  func automaticSampleSize() {
    func sample(_ n: Int, _ k: Int, _ d: Int) -> Int? {
      KMeansConfiguration.automaticSeedingSample(rowCount: n, clusterCount: k, columnCount: d)
    }
    // (2 + ln k)·n·k·d within 2²⁸: all rows (digits, iris, small sets).
    #expect(sample(1797, 10, 64) == nil)
    #expect(sample(60_000, 8, 32) == nil)
    // 20,000 embeddings of 384 at k = 100: the budget's 2²⁸ / ((2 + ln 100)·100·384) rows.
    #expect(sample(20_000, 100, 384) == 1058)
    // Large k: n / (4(2 + ln k)) or 2k rows, as before the budget.
    #expect(sample(200_000, 4096, 64) == 8192)
    #expect(sample(1_000_000, 4096, 64) == 24_231)
    // 256 rows a cluster where that costs at most two Lloyd passes.
    #expect(sample(1_000_000, 256, 64) == 65_536)
    #expect(sample(500_000, 128, 128) == 32_768)
    // A stream of 4M rows keeps a small sample in memory.
    #expect(sample(4_194_304, 64, 64) == 16_384)
    // A sample of more than an eighth of the rows: all rows.
    #expect(sample(3000, 1000, 384) == nil)
    #expect(sample(100_000, 64, 32) == nil)
    for (n, k, d) in [
      (500_000, 128, 128), (1_000_000, 256, 64), (40_000, 2000, 96), (20_000, 100, 384),
    ] {
      guard let size = sample(n, k, d) else {
        Issue.record("no sample for \(n)×\(d), k = \(k)")
        continue
      }
      #expect(size >= 2 * k && 8 * size <= n)
      let steps = 2 + log(Double(k))
      #expect(Double(size) >= min(Double(n) / (4 * steps), Double(256 * k)))
      #expect(
        Double(size) >= Double(KMeansConfiguration.seedingWorkBudget) / (steps * Double(k * d)) - 1)
    }
    // Mini-batch: 256 rows a cluster within the budget, never fewer than scikit-learn's.
    let miniBatch = MiniBatchConfiguration()
    #expect(
      miniBatch.automaticInitializationSize(rowCount: 20_000, clusterCount: 100, columnCount: 384)
        == 3072)
    #expect(
      miniBatch.automaticInitializationSize(rowCount: 100_000, clusterCount: 64, columnCount: 32)
        == 16_384)
    #expect(
      miniBatch.automaticInitializationSize(rowCount: 1_000_000, clusterCount: 256, columnCount: 64)
        == 65_536)
  }

  @Test("fit seeds from the automatic sample: the same centers as that sample size given")
  func automaticSampleIsUsed() throws {
    let data = try TestData.blobs(
      rows: 24_000, dimension: 256, clusters: 64, seed: 3, as: Float.self)
    let size = try #require(
      KMeansConfiguration.automaticSeedingSample(
        rowCount: 24_000, clusterCount: 64, columnCount: 256))
    #expect(size == 2660)
    var configuration = KMeansConfiguration(clusterCount: 64)
    configuration.maxIterations = 2
    let automatic = try KMeansModel.fit(data, configuration: configuration)
    configuration.seedingSampleSize = size
    let given = try KMeansModel.fit(data, configuration: configuration)
    configuration.seedingSampleSize = Int.max
    let all = try KMeansModel.fit(data, configuration: configuration)
    #expect(automatic.model.centers == given.model.centers)
    #expect(automatic.model.centers != all.model.centers)
  }
}
