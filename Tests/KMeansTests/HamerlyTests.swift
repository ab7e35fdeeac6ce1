import Foundation
import KMeans
import Testing

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

  @Test("hamerly with cosine is refused")
  func cosineRefused() throws {
    var configuration = KMeansConfiguration(clusterCount: 2)
    configuration.metric = .cosine
    configuration.algorithm = .hamerly
    #expect(throws: KMeansError.self) { try configuration.validate() }
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
}
