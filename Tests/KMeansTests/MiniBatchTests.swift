import KMeans
import KMeansTestSupport
import Testing

@Suite("Mini-batch")
struct MiniBatchTests {
  func configuration(k: Int, threads: Int? = nil) -> KMeansConfiguration {
    var configuration = KMeansConfiguration(clusterCount: k)
    configuration.seed = 9
    configuration.threadCount = threads
    return configuration
  }

  @Test("bit-identical for 1 and 2 threads", arguments: [1, 3])
  func deterministic(stepsPerIteration: Int) throws {
    let data = try TestData.blobs(rows: 20_000, dimension: 8, clusters: 16, seed: 4, as: Float.self)
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 512
    miniBatch.epochs = 3
    miniBatch.stepsPerIteration = stepsPerIteration
    let one = try fitMiniBatch(
      data, configuration: configuration(k: 16, threads: 1), miniBatch: miniBatch)
    let two = try fitMiniBatch(
      data, configuration: configuration(k: 16, threads: 2), miniBatch: miniBatch)
    #expect(one.model.centers.values == two.model.centers.values)
    #expect(one.labels == two.labels)
    #expect(one.model.iterationStatistics.map(\.loss) == two.model.iterationStatistics.map(\.loss))
  }

  @Test("close to full batch on blobs, and early stopping ends it")
  func quality() throws {
    let data = try TestData.blobs(
      rows: 30_000, dimension: 8, clusters: 20, seed: 6, as: Double.self)
    let full = try KMeansModel.fit(data, configuration: configuration(k: 20))
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 1024
    let mini = try fitMiniBatch(
      data, configuration: configuration(k: 20), miniBatch: miniBatch)
    #expect(
      mini.model.inertia <= full.model.inertia * 1.05,
      "\(mini.model.inertia) vs \(full.model.inertia)")
    #expect(mini.model.stopReason == .noImprovement)
    #expect(mini.model.iterationCount < 100 * 30)
    #expect(try mini.model.predict(data) == mini.labels)
  }

  @Test("partialFit: initializes from the first batch, then trains on each")
  func partialFit() throws {
    let data = try TestData.blobs(rows: 10_000, dimension: 5, clusters: 8, seed: 2, as: Float.self)
    var stream = try MiniBatchKMeans<Float>(configuration: configuration(k: 8))
    #expect(try stream.partialFit(data.rows(0..<1000)) == nil)
    let initial = try stream.model.score(data)
    var steps = 0
    for start in stride(from: 1000, to: 10_000, by: 500) {
      let output = try stream.partialFit(data.rows(start..<(start + 500)))
      #expect(output?.shards[0].clusterIndices.count == 500)
      steps += 1
    }
    #expect(stream.trainer.globalStep == Int64(steps))
    #expect(stream.rowsSeen == 9000)
    #expect(try stream.model.score(data) < initial)
  }

  @Test("starved centers are reassigned")
  func reassignment() throws {
    // Two far groups; five of the six centers start inside one of them.
    var rows: [[Double]] = []
    var random = RandomSource(seed: 1)
    for index in 0..<4000 {
      let base = index % 2 == 0 ? 0.0 : 100.0
      rows.append([base + random.nextUnit(), base + random.nextUnit()])
    }
    let data = try Matrix<Double>(rows: rows)
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.initialization = .centers(
      try Matrix<Double>(rows: [
        [0.5, 0.5], [100.5, 100.5], [50, 50], [60, 60], [70, 70], [80, 80],
      ]))
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 200
    miniBatch.maxNoImprovement = nil
    miniBatch.epochs = 2
    var stream = try MiniBatchKMeans<Double>(configuration: configuration, miniBatch: miniBatch)
    try stream.partialFit(data.rows(0..<10))
    for start in stride(from: 0, to: 4000, by: 200) {
      try stream.partialFit(data.rows(start..<(start + 200)))
    }
    #expect(stream.reassignedCenters > 0)
    let centers = stream.model.centers
    for cluster in 0..<6 {
      let x = centers[cluster, 0]
      #expect(x < 2 || x > 98, "center \(cluster) stayed between the groups at \(x)")
    }
  }

  @Test("bad settings are rejected")
  func validation() {
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 0
    #expect(throws: KMeansError.invalidConfiguration("batchSize=0 must be at least 1")) {
      try MiniBatchKMeans<Float>(
        configuration: KMeansConfiguration(clusterCount: 2), miniBatch: miniBatch)
    }
  }
}
