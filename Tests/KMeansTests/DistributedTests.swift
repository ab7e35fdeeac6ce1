import Foundation
import KMeansTestSupport
import Testing

@testable import KMeans

/// Distributed Lloyd with workers simulated as threads (the MPI backend implements the same
/// two collectives): every worker count must reproduce the single-process result.
@Suite("Distributed Lloyd")
struct DistributedTests {
  /// Runs `workers` workers on contiguous shards and returns their results in rank order.
  func run(
    _ data: Matrix<Double>, workers: Int, configuration: KMeansConfiguration, sparse: Bool = false
  ) throws -> [KMeansFitResult<Double>] {
    let group = ThreadGroup(size: workers)
    let n = data.rowCount
    let results = UnsafeMutableBufferPointer<Result<KMeansFitResult<Double>, Error>?>.allocate(
      capacity: workers)
    results.initialize(repeating: nil)
    defer {
      results.deinitialize()
      results.deallocate()
    }
    let shared = UnsafeSendableBox(results)
    // Real threads: workers wait for each other, so they must all run at once (Dispatch's
    // concurrentPerform runs only as many as there are cores).
    runConcurrently(workers) { rank in
      let range = (rank * n / workers)..<((rank + 1) * n / workers)
      var configuration = configuration
      configuration.threadCount = 1
      shared.value[rank] = Result {
        let shard = data.rows(range)
        let rows: TrainingRows<Double> = sparse ? .sparse(SparseMatrix(shard)) : .dense(shard)
        return try DistributedKMeans.fit(
          shard: rows, rowOffset: range.lowerBound, configuration: configuration,
          collectives: group.member(rank))
      }
    }
    return try results.map { try #require($0).get() }
  }

  @Test("1, 2 and 4 workers give the single-process labels and centers", arguments: [1, 2, 4])
  func matchesSingleProcess(workers: Int) throws {
    let data = try TestData.blobs(rows: 3000, dimension: 6, clusters: 7, seed: 3, as: Double.self)
    let initial = data.rows(0..<7)
    var configuration = KMeansConfiguration(clusterCount: 7)
    configuration.initialization = .centers(initial)
    let single = try KMeansModel.fit(data, configuration: configuration)
    let results = try run(data, workers: workers, configuration: configuration)
    #expect(results.flatMap(\.labels) == single.labels)
    for result in results {
      #expect(result.model.iterationCount == single.model.iterationCount)
      #expect(abs(result.model.inertia - single.model.inertia) <= 1e-9 * single.model.inertia)
      for (ours, theirs) in zip(result.model.centers.values, single.model.centers.values) {
        #expect(abs(ours - theirs) <= 1e-6 * max(1, abs(theirs)))
      }
    }
    // Every worker holds the same centers.
    #expect(Set(results.map { $0.model.centers.values }).count == 1)
  }

  @Test("sparse shards on 3 workers give the single-process sparse labels and centers")
  func sparseShards() throws {
    let data = try TestData.blobs(rows: 2500, dimension: 5, clusters: 6, seed: 4, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.initialization = .centers(data.rows(0..<6))
    let single = try KMeansModel.fit(SparseMatrix(data), configuration: configuration)
    let results = try run(data, workers: 3, configuration: configuration, sparse: true)
    #expect(results.flatMap(\.labels) == single.labels)
    for result in results {
      #expect(result.model.iterationCount == single.model.iterationCount)
      for (ours, theirs) in zip(result.model.centers.values, single.model.centers.values) {
        #expect(abs(ours - theirs) <= 1e-6 * max(1, abs(theirs)))
      }
    }
  }

  @Test("an empty cluster is relocated to the globally farthest point, as in one process")
  func emptyCluster() throws {
    let data = try TestData.blobs(rows: 2000, dimension: 3, clusters: 4, seed: 8, as: Double.self)
    var centers = data.rows(0..<4)
    centers[3, 0] = 1000
    var configuration = KMeansConfiguration(clusterCount: 4)
    configuration.initialization = .centers(centers)
    let single = try KMeansModel.fit(data, configuration: configuration)
    #expect(single.model.iterationStatistics[0].relocatedClusters == 1)
    let results = try run(data, workers: 3, configuration: configuration)
    #expect(results[0].model.iterationStatistics[0].relocatedClusters == 1)
    #expect(results.flatMap(\.labels) == single.labels)
  }

  @Test("k-means‖ and sampled k-means++: the same centers on 1 and 3 workers, good quality")
  func seedings() throws {
    let data = try TestData.blobs(rows: 8000, dimension: 5, clusters: 12, seed: 5, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 12)
    configuration.seed = 4
    let reference = try KMeansModel.fit(data, configuration: configuration).model.inertia
    for initialization in [
      Initialization.kMeansParallel(rounds: 5, oversampling: 24), .kMeansPlusPlus(),
    ] {
      var settings = configuration
      settings.initialization = initialization
      settings.seedingSampleSize = 2000
      let single = try KMeansModel.fit(data, configuration: settings)
      let first = try run(data, workers: 3, configuration: settings)
      let again = try run(data, workers: 3, configuration: settings)
      #expect(first[0].model.centers == again[0].model.centers)
      #expect(first.flatMap(\.labels) == single.labels, "\(initialization.name)")
      #expect(
        first[0].model.inertia <= reference * 1.05,
        "\(initialization.name): \(first[0].model.inertia) vs \(reference)")
    }
  }

  @Test("bad input on one worker names its rank and global row; the others stop too")
  func badInput() throws {
    var corrupted = try TestData.blobs(
      rows: 400, dimension: 3, clusters: 2, seed: 1, as: Double.self)
    corrupted[250, 2] = .nan
    let data = corrupted
    var settings = KMeansConfiguration(clusterCount: 2)
    settings.initialization = .centers(data.rows(0..<2))
    let configuration = settings
    let group = ThreadGroup(size: 2)
    let errors = UnsafeSendableBox(UnsafeMutableBufferPointer<String>.allocate(capacity: 2))
    errors.value.initialize(repeating: "")
    defer {
      errors.value.deinitialize()
      errors.value.deallocate()
    }
    runConcurrently(2) { rank in
      let range = (rank * 200)..<((rank + 1) * 200)
      do {
        _ = try DistributedKMeans.fit(
          shard: data.rows(range), rowOffset: range.lowerBound, configuration: configuration,
          collectives: group.member(rank))
        errors.value[rank] = "no error"
      } catch {
        errors.value[rank] = "\(error)"
      }
    }
    #expect(errors.value[1] == "rank 1: non-finite value (NaN or infinity) at row 250, column 2")
    #expect(errors.value[0] == "rank 1: stopped because rank 1 reported bad input")
  }
}
