import Foundation
import KMeans
import KMeansEstimator
import KMeansMPI
import KMeansTestSupport
import Testing

/// Every cell of {dense, sparse} × {squared Euclidean, cosine} × {weights, none} ×
/// {one process, 2 and 4 workers} × {Lloyd, Hamerly, Yinyang, automatic, mini-batch} ×
/// {Float, Double}
/// × {fit, model directory} gives the one-process `fit` result for the same settings:
///
/// - one process, any thread count, in memory or in a model directory: the same bits;
/// - 2 and 4 workers (threads standing in for MPI ranks): the same labels, centers within
///   1e-6 relative — the per-worker sums are added in another order, so the last bits may
///   differ (`Scripts/mpi-tests.sh` runs a seeded sample of these cells under real `mpirun`).
///
/// Lloyd, Hamerly, Yinyang and automatic are also the same bits as each other (exact bounds).
///
/// The cells run on 900 rows around 6 centers; the in-memory algorithms run again at scale,
/// dense and sparse, both metrics: 30,000 rows (eight 4,096-row chunks: several per thread on
/// 1, 2 and 3 threads, and several blocks of the cluster sums) with k = 24 (three Yinyang
/// groups; automatic picks Hamerly there, and `AutomaticChoiceTests` shows its other choices).
@Suite("Every combination works")
struct CombinationTests {
  enum Layout: String, CaseIterable, Sendable { case dense, sparse }
  enum Algorithm: String, CaseIterable, Sendable {
    case lloyd, hamerly, yinyang, automatic, miniBatch
  }

  struct Cell: Sendable, CustomTestStringConvertible {
    var layout: Layout
    var metric: DistanceMetric
    var weighted: Bool
    var algorithm: Algorithm
    var float64: Bool

    var testDescription: String {
      "\(layout) \(metric) \(weighted ? "weighted" : "unweighted") \(algorithm) \(float64 ? "Double" : "Float")"
    }
  }

  static let cells: [Cell] = Layout.allCases.flatMap { layout in
    DistanceMetric.allCases.flatMap { metric in
      [false, true].flatMap { weighted in
        Algorithm.allCases.flatMap { algorithm in
          [false, true].map { float64 in
            Cell(
              layout: layout, metric: metric, weighted: weighted, algorithm: algorithm,
              float64: float64)
          }
        }
      }
    }
  }

  /// Rows around 6 centers; about half of the values zero (every row keeps one), so the
  /// sparse layout is really sparse and no row is zero under cosine.
  static func data<Scalar: KMeansScalar>(
    _: Scalar.Type, rowCount: Int
  ) throws -> Matrix<Scalar> {
    let blobs = try TestData.blobs(
      rows: rowCount, dimension: 8, clusters: 6, seed: 21, as: Scalar.self)
    var random = RandomSource(seed: 99)
    var values = blobs.values
    for row in 0..<rowCount {
      for column in 0..<8 where column != row % 8 && random.nextUnit() < 0.5 {
        values[row * 8 + column] = 0
      }
    }
    return try Matrix(rowCount: rowCount, columnCount: 8, values: values)
  }

  static func weights(_ rowCount: Int) -> [Double] {
    (0..<rowCount).map { Double($0 % 5) * 0.75 + 0.25 }
  }

  func configuration(_ cell: Cell) -> KMeansConfiguration {
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.seed = 7
    configuration.metric = cell.metric
    switch cell.algorithm {
    case .lloyd: configuration.algorithm = .lloyd
    case .hamerly: configuration.algorithm = .hamerly
    case .yinyang: configuration.algorithm = .yinyang
    case .automatic: configuration.algorithm = .automatic
    case .miniBatch:
      var miniBatch = MiniBatchConfiguration()
      miniBatch.batchSize = 128
      configuration.miniBatch = miniBatch
    }
    return configuration
  }

  @Test("the one-process result, in every cell", arguments: cells)
  func everyCell(_ cell: Cell) throws {
    if cell.float64 { try check(cell, as: Double.self) } else { try check(cell, as: Float.self) }
  }

  /// At scale, weighted, 6 iterations from the same centers: Lloyd on 2 and 3 threads,
  /// Hamerly and Yinyang on 3, automatic (Hamerly at k = 24) on 2 give the labels, centers and
  /// inertia of Lloyd on 1 thread.
  @Test(
    "at scale (30,000 rows, k = 24): every algorithm and thread count gives Lloyd's bits",
    arguments: Layout.allCases, DistanceMetric.allCases)
  func atScale(_ layout: Layout, _ metric: DistanceMetric) throws {
    let rowCount = 30_000
    let dense = try Self.data(Float.self, rowCount: rowCount)
    let weights = Self.weights(rowCount)
    func fit(_ algorithm: LloydAlgorithm, threads: Int) throws -> KMeansFitResult<Float> {
      var configuration = KMeansConfiguration(clusterCount: 24)
      configuration.seed = 7
      configuration.initialization = .random
      configuration.metric = metric
      configuration.algorithm = algorithm
      configuration.maxIterations = 6
      configuration.tolerance = 0
      configuration.threadCount = threads
      return layout == .dense
        ? try KMeansModel.fit(dense, weights: weights, configuration: configuration)
        : try KMeansModel.fit(SparseMatrix(dense), weights: weights, configuration: configuration)
    }
    let reference = try fit(.lloyd, threads: 1)
    #expect(reference.model.iterationCount == 6)
    let runs: [(LloydAlgorithm, Int)] = [
      (.lloyd, 2), (.lloyd, 3), (.hamerly, 3), (.yinyang, 3), (.automatic, 2),
    ]
    for (algorithm, threads) in runs {
      let other = try fit(algorithm, threads: threads)
      let what = "\(algorithm) on \(threads) threads"
      #expect(other.labels == reference.labels, "\(what): labels")
      #expect(other.model.centers == reference.model.centers, "\(what): centers")
      #expect(other.model.inertia == reference.model.inertia, "\(what): inertia")
    }
    if metric == .squaredEuclidean {
      try expectOneStepMeans(layout, dense, weights: weights)
    }
  }

  /// One step from given centers against sums written out here (not the engine's blocked
  /// sums): every center becomes the weighted mean of the rows nearest to it, within 1e-6 —
  /// so a block or chunk of rows the engine's sums miss fails, whatever the thread count.
  func expectOneStepMeans(_ layout: Layout, _ dense: Matrix<Float>, weights: [Double]) throws {
    let (n, d, k) = (dense.rowCount, dense.columnCount, 24)
    let start = try Matrix<Float>(
      rowCount: k, columnCount: d,
      values: (0..<k).flatMap { dense.row($0 * (n / k)) })
    let labels = try KMeansModel(centers: start, metric: .squaredEuclidean).predict(dense)
    var sums = [Double](repeating: 0, count: k * d)
    var totals = [Double](repeating: 0, count: k)
    for row in 0..<n {
      totals[labels[row]] += weights[row]
      for column in 0..<d {
        sums[labels[row] * d + column] += weights[row] * Double(dense[row, column])
      }
    }
    var configuration = KMeansConfiguration(clusterCount: k)
    configuration.initialization = .centers(start.converted(to: Double.self))
    configuration.maxIterations = 1
    configuration.threadCount = 3
    let stepped =
      layout == .dense
      ? try KMeansModel.fit(dense, weights: weights, configuration: configuration)
      : try KMeansModel.fit(SparseMatrix(dense), weights: weights, configuration: configuration)
    #expect(totals.allSatisfy { $0 > 0 })
    let largest =
      (0..<(k * d)).map { index -> Double in
        let mean = sums[index] / totals[index / d]
        return abs(Double(stepped.model.centers.values[index]) - mean) / max(1, abs(mean))
      }.max() ?? 0
    #expect(largest <= 1e-6, "one step's centers differ from the rows' means by \(largest)")
  }

  func check<Scalar: KMeansScalar>(_ cell: Cell, as _: Scalar.Type) throws {
    let rowCount = 900
    let dense = try Self.data(Scalar.self, rowCount: rowCount)
    let weights = cell.weighted ? Self.weights(rowCount) : nil
    var settings = configuration(cell)
    func fit(_ configuration: KMeansConfiguration) throws -> KMeansFitResult<Scalar> {
      switch cell.layout {
      case .dense:
        return try KMeansModel.fit(dense, weights: weights, configuration: configuration)
      case .sparse:
        return try KMeansModel.fit(
          SparseMatrix(dense), weights: weights, configuration: configuration)
      }
    }
    settings.threadCount = 2
    let reference = try fit(settings)
    #expect(reference.model.iterationCount >= 2, "\(cell.testDescription)")

    // One process on 1 and 3 threads: the same bits.
    for threads in [1, 3] {
      settings.threadCount = threads
      let other = try fit(settings)
      #expect(other.labels == reference.labels, "\(threads) threads")
      #expect(other.model.centers == reference.model.centers, "\(threads) threads")
      #expect(other.model.inertia == reference.model.inertia, "\(threads) threads")
    }
    settings.threadCount = 1
    let oneThread = settings

    // Exact bounds: Hamerly, Yinyang and automatic give Lloyd's bits.
    if [.hamerly, .yinyang, .automatic].contains(cell.algorithm) {
      var lloyd = settings
      lloyd.algorithm = .lloyd
      let plain = try fit(lloyd)
      #expect(plain.labels == reference.labels && plain.model.centers == reference.model.centers)
    }

    // 2 and 4 workers.
    for workers in [2, 4] {
      let group = Self.group(workers)
      let results = try eachWorker(workers) { rank in
        let range = (rank * rowCount / workers)..<((rank + 1) * rowCount / workers)
        var run = TrainingRun<Scalar>(configuration: oneThread)
        run.collectives = group.member(rank)
        run.rowOffset = range.lowerBound
        let shardWeights = weights.map { Array($0[range]) }
        let input: TrainingRun<Scalar>.Input =
          cell.layout == .dense
          ? .dense(dense.rows(range), weights: shardWeights)
          : .sparse(SparseMatrix(dense.rows(range)), weights: shardWeights)
        return try run.run(input)
      }
      let labels = results.flatMap(\.labels)
      #expect(labels == reference.labels, "\(workers) workers")
      for result in results {
        expectClose(result.model.centers, reference.model.centers, "\(workers) workers")
        #expect(
          abs(result.model.inertia - reference.model.inertia)
            <= 1e-6 * reference.model.inertia, "\(workers) workers")
      }
    }

    // A model directory, one process: the same bits as fit.
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let estimator = try KMeansEstimator<Scalar>(
      modelDirectory: directory + "/one",
      configuration: EstimatorConfiguration(clustering: settings))
    let input: EstimatorInput<Scalar> =
      cell.layout == .dense ? .matrix(dense) : .sparse(SparseMatrix(dense))
    let report = try estimator.train(input: input, weights: weights, maxSteps: 1_000_000)
    #expect(report.finalStep == Int64(reference.model.iterationCount), "model directory")
    #expect(try estimator.clusterCenters() == reference.model.centers, "model directory")
    #expect(try estimator.predictClusterIndex(input: input) == reference.labels)

    // A model directory on 2 workers (rank 0 writes), then its centers as written.
    let shared = directory + "/two"
    let group = Self.group(2)
    _ = try eachWorker(2) { rank in
      let range = (rank * rowCount / 2)..<((rank + 1) * rowCount / 2)
      let shardWeights = weights.map { Array($0[range]) }
      var job = DistributedJob<Scalar>(
        shard: cell.layout == .dense
          ? .dense(dense.rows(range), weights: shardWeights)
          : .sparse(SparseMatrix(dense.rows(range)), weights: shardWeights),
        rowOffset: range.lowerBound, dimension: 8, configuration: oneThread)
      job.modelDirectory = shared
      job.maxSteps = 1_000_000
      return try job.run(collectives: group.member(rank)).result.model.iterationCount
    }
    let written = try KMeansEstimator<Scalar>(
      modelDirectory: shared, configuration: EstimatorConfiguration(clustering: settings))
    expectClose(try written.clusterCenters(), reference.model.centers, "2 workers, model directory")
    #expect(try written.predictClusterIndex(input: input) == reference.labels)
  }

  static func group(_ size: Int) -> ThreadGroup { ThreadGroup(size: size) }

  func expectClose<Scalar: KMeansScalar>(
    _ got: Matrix<Scalar>, _ want: Matrix<Scalar>, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(got.rowCount == want.rowCount, "\(what)", sourceLocation: sourceLocation)
    let largest =
      zip(got.values, want.values).map { pair -> Double in
        let (a, b) = (Double(pair.0), Double(pair.1))
        return abs(a - b) / max(1, abs(b))
      }.max() ?? 0
    #expect(
      largest <= 1e-6, "\(what): centers differ by \(largest)", sourceLocation: sourceLocation)
  }
}
