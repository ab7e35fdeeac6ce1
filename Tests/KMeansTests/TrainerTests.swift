import KMeans
import KMeansTestSupport
import Testing

@Suite("Stepwise trainer and initializers")
struct TrainerTests {
  @Test("shards give the same cluster indices as one matrix", arguments: [1, 2, 4])
  func shardsEqualOneMatrix(threads: Int) throws {
    let data = try TestData.blobs(rows: 9000, dimension: 6, clusters: 12, seed: 21, as: Float.self)
    var configuration = KMeansConfiguration(clusterCount: 12)
    configuration.threadCount = threads
    var whole = try KMeansTrainer<Float>(configuration: configuration)
    try whole.initialize(with: data)
    var sharded = whole
    let shards = [data.rows(0..<2500), data.rows(2500..<2501), data.rows(2501..<9000)]
    for _ in 0..<5 {
      let one = try whole.step(on: data)
      let many = try sharded.step(on: shards)
      #expect(many.shards.flatMap(\.clusterIndices) == one.shards[0].clusterIndices)
      #expect(abs(many.loss - one.loss) <= 1e-9 * one.loss)
      for row in 0..<12 {
        for column in 0..<6 {
          let a = whole.clusters[row, column]
          let b = sharded.clusters[row, column]
          #expect(abs(a - b) <= 1e-5 * max(1, abs(a)))
        }
      }
    }
  }

  @Test("all scores only when asked, and they agree with the scores")
  func allScores() throws {
    let data = try TestData.blobs(rows: 600, dimension: 3, clusters: 4, seed: 1, as: Double.self)
    var trainer = try KMeansTrainer<Double>(configuration: KMeansConfiguration(clusterCount: 4))
    try trainer.initialize(with: data)
    #expect(try trainer.step(on: data).shards[0].allScores == nil)
    let output = try trainer.step(on: data, allScores: true)
    let all = try #require(output.shards[0].allScores)
    for row in stride(from: 0, to: 600, by: 37) {
      let label = output.shards[0].clusterIndices[row]
      #expect(abs(all[row, label] - output.shards[0].scores[row]) < 1e-9)
      #expect(all.row(row).min()! >= all[row, label] - 1e-9)
    }
  }

  @Test("misuse gets clear errors")
  func errors() throws {
    let data = try TestData.blobs(rows: 50, dimension: 3, clusters: 2, seed: 1, as: Float.self)
    var trainer = try KMeansTrainer<Float>(configuration: KMeansConfiguration(clusterCount: 80))
    let early = #expect(throws: KMeansError.self) { try trainer.step(on: data) }
    #expect(early?.description.contains("call initialize(with:) first") == true)
    let small = #expect(throws: KMeansError.self) { try trainer.initialize(with: data) }
    #expect(small?.description.contains("needs a batch of at least 80 rows, got 50") == true)
    #expect(throws: KMeansError.self) {
      try KMeansTrainer<Float>(
        configuration: KMeansConfiguration(clusterCount: 2), mode: .miniBatch(stepsPerIteration: 0))
    }
    var ready = try KMeansTrainer<Float>(configuration: KMeansConfiguration(clusterCount: 2))
    try ready.initialize(with: data)
    let wide = try Matrix<Float>(rows: [[1, 2, 3, 4]])
    #expect(throws: KMeansError.dimensionMismatch(expected: 3, actual: 4, context: "the centers")) {
      try ready.step(on: wide)
    }
  }

  @Test("a custom initializer is asked again on later batches")
  func customInitializerAcrossBatches() throws {
    let data = try TestData.blobs(rows: 100, dimension: 2, clusters: 3, seed: 5, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 3)
    // One center per call: the first row of each batch.
    configuration.initialization = .custom(CustomInitializer { batch, _ in batch.rows(0..<1) })
    var trainer = try KMeansTrainer<Double>(configuration: configuration)
    #expect(try trainer.initialize(with: data.rows(0..<10)) == false)
    #expect(try trainer.initialize(with: data.rows(10..<20)) == false)
    #expect(try trainer.initialize(with: data.rows(20..<30)) == true)
    #expect(trainer.clusters == (try Matrix(rows: [data.row(0), data.row(10), data.row(20)])))
    configuration.initialization = .custom(CustomInitializer { batch, _ in batch.rows(0..<5) })
    var greedy = try KMeansTrainer<Double>(configuration: configuration)
    #expect(throws: KMeansError.self) { try greedy.initialize(with: data) }
  }

  @Test("random with replacement can repeat rows; .random never does")
  func randomWithReplacement() throws {
    let data = try Matrix<Double>(rows: (0..<5).map { [Double($0), 0] })
    var sawDuplicate = false
    for seed in 0..<20 as Range<UInt64> {
      var configuration = KMeansConfiguration(clusterCount: 4)
      configuration.seed = seed
      configuration.initialization = .randomWithReplacement
      var trainer = try KMeansTrainer<Double>(configuration: configuration)
      try trainer.initialize(with: data)
      let firsts = (0..<4).map { trainer.clusters[$0, 0] }
      if Set(firsts).count < 4 { sawDuplicate = true }
      configuration.initialization = .random
      var distinct = try KMeansTrainer<Double>(configuration: configuration)
      try distinct.initialize(with: data)
      #expect(Set((0..<4).map { distinct.clusters[$0, 0] }).count == 4)
    }
    #expect(sawDuplicate)
  }

  /// The Markov chains approximate D² sampling, i.e. k-means++ with one candidate per step
  /// (Bachem et al. compare with exactly that); greedy k-means++ is better than all three.
  @Test(
    "k-MC² and AFK-MC² reach k-means++ quality after Lloyd",
    arguments: [Initialization.kmc2(chainLength: 200), .afkmc2(chainLength: 200)])
  func markovChainSeedings(initialization: Initialization) throws {
    let blobs = try TestData.blobs(rows: 6000, dimension: 8, clusters: 25, seed: 8, as: Double.self)
    let (digits, _) = try TestData.digits(Double.self)
    for (data, k) in [(blobs, 25), (digits, 10)] {
      var total = (plusPlus: 0.0, chain: 0.0)
      for seed in 0..<8 as Range<UInt64> {
        var configuration = KMeansConfiguration(clusterCount: k)
        configuration.seed = seed
        configuration.initialization = .kMeansPlusPlus(retries: 0)
        total.plusPlus += try KMeansModel.fit(data, configuration: configuration).model.inertia
        configuration.initialization = initialization
        // k-MC² takes rows in order: shuffle them, as TensorFlow's documentation asks.
        total.chain += try KMeansModel.fit(shuffled(data, seed: seed), configuration: configuration)
          .model.inertia
      }
      #expect(total.chain <= total.plusPlus * 1.05, "\(initialization.name): \(total)")
    }
  }

  func shuffled(_ data: Matrix<Double>, seed: UInt64) throws -> Matrix<Double> {
    var random = RandomSource(seed: seed &+ 100)
    var order = Array(0..<data.rowCount)
    for index in stride(from: order.count - 1, to: 0, by: -1) {
      order.swapAt(index, random.nextIndex(below: index + 1))
    }
    return try Matrix(rows: order.map { data.row($0) })
  }

  @Test("k-MC² under tfCompat starts from row 0 and reuses one seed per chain")
  func kmc2TensorFlowStart() throws {
    let data = try TestData.blobs(rows: 400, dimension: 3, clusters: 4, seed: 2, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 4)
    configuration.initialization = .kmc2(chainLength: 100)
    configuration.tfCompat = true
    var trainer = try KMeansTrainer<Double>(configuration: configuration)
    #expect(try trainer.initialize(with: data))
    #expect(trainer.clusters.row(0) == data.row(0))
    // ⌊400/100⌋ = 4 centers from one batch; a batch of 150 rows gives only one at a time.
    configuration.clusterCount = 3
    var slow = try KMeansTrainer<Double>(configuration: configuration)
    #expect(try slow.initialize(with: data.rows(0..<150)) == false)
    #expect(slow.clusters.rowCount == 1)
  }

  @Test("cosine mini-batch: unit centers by default, TensorFlow's drift with tfCompat")
  func cosineMiniBatchNormalisation() throws {
    let data = try TestData.blobs(rows: 800, dimension: 4, clusters: 3, seed: 3, as: Float.self)
    for tfCompat in [false, true] {
      var configuration = KMeansConfiguration(clusterCount: 3)
      configuration.metric = .cosine
      configuration.tfCompat = tfCompat
      var trainer = try KMeansTrainer<Float>(
        configuration: configuration, mode: .miniBatch(stepsPerIteration: 1))
      try trainer.initialize(with: data)
      for start in stride(from: 0, to: 800, by: 100) {
        _ = try trainer.step(on: data.rows(start..<(start + 100)))
      }
      let norms = (0..<3).map { trainer.clusters.row($0).reduce(0) { $0 + $1 * $1 }.squareRoot() }
      if tfCompat {
        #expect(norms.contains { abs($0 - 1) > 1e-3 })
      } else {
        #expect(norms.allSatisfy { abs($0 - 1) < 1e-5 })
      }
    }
  }
}

@Suite("Trainer state")
struct TrainerStateTests {
  @Test("restore sets TensorFlow's variables, and checks their shapes")
  func restore() throws {
    let data = try TestData.blobs(rows: 300, dimension: 2, clusters: 3, seed: 7, as: Float.self)
    var configuration = KMeansConfiguration(clusterCount: 3)
    configuration.seed = 1
    var original = try KMeansTrainer<Float>(
      configuration: configuration, mode: .miniBatch(stepsPerIteration: 2))
    try original.initialize(with: data)
    for start in stride(from: 0, to: 300, by: 50) {
      _ = try original.step(on: data.rows(start..<(start + 50)))
    }
    var copy = try KMeansTrainer<Float>(
      configuration: configuration, mode: .miniBatch(stepsPerIteration: 2))
    try copy.restore(
      clusters: original.clusters, counts: original.counts,
      clustersUpdated: original.clustersUpdated, updateInSteps: original.updateInSteps,
      globalStep: original.globalStep)
    #expect(copy.initialized)
    let next = data.rows(0..<50)
    let a = try original.step(on: next)
    let b = try copy.step(on: next)
    #expect(a.shards[0].clusterIndices == b.shards[0].clusterIndices)
    #expect(original.clusters == copy.clusters && original.clustersUpdated == copy.clustersUpdated)
    #expect(original.counts == copy.counts && original.globalStep == copy.globalStep)
    #expect(throws: KMeansError.self) {
      try copy.restore(clusters: Matrix<Float>(zerosWithRowCount: 2, columnCount: 2))
    }
    #expect(throws: KMeansError.self) {
      try copy.restore(clusters: original.clusters, counts: [1, 2])
    }
  }

  @Test("tfCompat: the zero vector for an empty cluster; by default a far point")
  func emptyClusterRules() throws {
    let data = try Matrix<Double>(rows: [[0, 0], [0, 1], [1, 0], [10, 10], [10, 11]])
    var configuration = KMeansConfiguration(clusterCount: 3)
    configuration.initialization = .centers(
      try Matrix<Double>(rows: [[0, 0], [10, 10], [99, 99]]))
    for tfCompat in [false, true] {
      configuration.tfCompat = tfCompat
      var trainer = try KMeansTrainer<Double>(configuration: configuration)
      try trainer.initialize(with: data)
      let output = try trainer.step(on: data)
      if tfCompat {
        #expect(trainer.clusters.row(2) == [0, 0])
        #expect(output.relocatedClusters == 0)
        // (0+0+1)/(3 + 1e-6): TensorFlow's denominator shrinks every center a little.
        #expect(trainer.clusters[0, 0] == 1.0 / Double(Float(3) + 1e-6))
        #expect(trainer.clusters[0, 0] < 1.0 / 3)
      } else {
        #expect(output.relocatedClusters == 1)
        // The farthest point, (0, 1) (distance 1, the lowest row among ties), moves over.
        #expect(trainer.clusters.row(2) == [0, 1])
        #expect(trainer.clusters.row(0) == [0.5, 0])
      }
    }
  }
}
