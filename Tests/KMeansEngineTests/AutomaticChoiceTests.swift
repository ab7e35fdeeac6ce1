import KMeans
import KMeansTestSupport
import Testing

/// ``LloydAlgorithm/automatic`` runs Lloyd below 16 clusters, Hamerly's bounds from 16 and
/// Yinyang's from 512 — and whichever it picks, the labels and centers are Lloyd's bits, on
/// rows spanning several 4,096-row chunks per thread (9,000 rows on 1 and 3 threads) and, at
/// k = 520, many Yinyang groups.
@Suite("Automatic picks each algorithm and keeps Lloyd's bits")
struct AutomaticChoiceTests {
  static let data = Result {
    try TestData.blobs(rows: 9_000, dimension: 8, clusters: 24, seed: 5, as: Float.self)
  }

  func fit(_ k: Int, _ algorithm: LloydAlgorithm, threads: Int) throws -> KMeansFitResult<Float> {
    var configuration = KMeansConfiguration(clusterCount: k)
    configuration.algorithm = algorithm
    configuration.initialization = .random
    configuration.seed = 3
    configuration.maxIterations = 8
    configuration.tolerance = 0
    configuration.threadCount = threads
    return try KMeansModel.fit(try Self.data.get(), configuration: configuration)
  }

  /// The work of each iteration: rows whose every distance was computed (nil: all of them).
  func work(_ result: KMeansFitResult<Float>) -> [Int?] {
    result.model.iterationStatistics.map(\.fullyAssignedPoints)
  }

  @Test(
    "k = 8: Lloyd; k = 40: Hamerly; k = 520: Yinyang",
    arguments: [(8, LloydAlgorithm.lloyd), (40, .hamerly), (520, .yinyang)])
  func choice(k: Int, expected: LloydAlgorithm) throws {
    let automatic = try fit(k, .automatic, threads: 3)
    let lloyd = try fit(k, .lloyd, threads: 1)
    #expect(automatic.labels == lloyd.labels)
    #expect(automatic.model.centers == lloyd.model.centers)
    #expect(automatic.model.inertia == lloyd.model.inertia)
    #expect(automatic.model.iterationCount >= 3)
    // Which algorithm ran shows in the work it did: the same as the explicit choice on the
    // same threads (how the rows are cut for the workers moves a few rows between the bounded
    // and the full assignment, never a label), and unlike the other two.
    let chosen = try fit(k, expected, threads: 3)
    #expect(chosen.model.centers == lloyd.model.centers)
    #expect(work(automatic) == work(chosen))
    for other in [LloydAlgorithm.lloyd, .hamerly, .yinyang] where other != expected {
      #expect(work(automatic) != work(try fit(k, other, threads: 2)), "\(other) did the same work")
    }
  }
}
