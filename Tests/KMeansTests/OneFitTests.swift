import Foundation
import KMeans
import KMeansTestSupport
import Testing

/// One `fit` for every kind of input, one observer, one meaning of `transform` — and the old
/// spellings still compiling (with deprecation warnings) and giving the same bits.
@Suite("One fit for every input")
struct OneFitTests {
  /// 3,000 rows of 6 columns around 5 centers, with weights 1–3.
  static func data() throws -> (Matrix<Float>, [Double]) {
    var random = RandomSource(seed: 21)
    let values = (0..<(3000 * 6)).map { index -> Float in
      Float((index / 6) % 5 * 4) + Float.random(in: -1..<1, using: &random)
    }
    let weights = (0..<3000).map { Double($0 % 3 + 1) }
    return (try Matrix(rowCount: 3000, columnCount: 6, values: values), weights)
  }

  static func configuration(_ metric: DistanceMetric, miniBatch: Bool = false)
    -> KMeansConfiguration
  {
    var configuration = KMeansConfiguration(clusterCount: 5)
    configuration.metric = metric
    configuration.threadCount = 2
    configuration.seed = 3
    if miniBatch {
      var settings = MiniBatchConfiguration()
      settings.batchSize = 256
      configuration.miniBatch = settings
    }
    return configuration
  }

  @Test(
    "dense, sparse and streamed rows give the same labels and centers through one fit",
    arguments: [DistanceMetric.squaredEuclidean, .cosine])
  func everyInput(metric: DistanceMetric) throws {
    let (dense, weights) = try Self.data()
    let configuration = Self.configuration(metric)
    let inMemory = try KMeansModel.fit(dense, weights: weights, configuration: configuration)
    let sparse = try KMeansModel.fit(
      SparseMatrix(dense), weights: weights, configuration: configuration)
    let stream = try WeightedBatches(
      MatrixBatches(dense),
      weights: MatrixBatches(Matrix(rowCount: 3000, columnCount: 1, values: weights)))
    let streamed = try KMeansModel.fit(stream, configuration: configuration)
    #expect(sparse.labels == inMemory.labels)
    #expect(streamed.labels == inMemory.labels)
    #expect(streamed.model.centers == inMemory.model.centers, "a stream gives the same bits")
    #expect(streamed.model.iterationStatistics.count == inMemory.model.iterationStatistics.count)
    let largest =
      zip(sparse.model.centers.values, inMemory.model.centers.values)
      .map { abs($0 - $1) }.max() ?? 1
    #expect(largest < 1e-4, "sparse centers differ by \(largest)")
  }

  @Test("weights beside a stream are refused: the source carries its own")
  func weightsBesideAStream() throws {
    let (dense, weights) = try Self.data()
    let error = #expect(throws: KMeansError.self) {
      try KMeansModel.fit(
        MatrixBatches(dense), weights: weights, configuration: Self.configuration(.cosine))
    }
    #expect(error?.description.contains("a stream carries its own") == true)
  }

  @Test("the observer sees every iteration and can stop the run, for every input")
  func observer() throws {
    let (dense, _) = try Self.data()
    var configuration = Self.configuration(.squaredEuclidean)
    configuration.tolerance = 0
    for data in [
      dense.trainingRows, SparseMatrix(dense).trainingRows, MatrixBatches(dense).trainingRows,
    ] {
      var seen: [Int] = []
      let observer = TrainingObserver(
        progress: { seen.append($0.iteration) }, isCancelled: { !seen.isEmpty })
      let result = try KMeansModel.fit(data, configuration: configuration, observer: observer)
      // isCancelled is asked after each iteration, before its progress call.
      #expect(seen == [1, 2])
      #expect(result.model.stopReason == .cancelled)
      #expect(result.labels.count == 3000)
    }
  }

  @Test(
    "transform is the Euclidean distance (1 − cos under cosine); allDistances the metric's",
    arguments: [DistanceMetric.squaredEuclidean, .cosine])
  func transformMeansOneThing(metric: DistanceMetric) throws {
    let (dense, _) = try Self.data()
    let model = try KMeansModel.fit(dense, configuration: Self.configuration(metric)).model
    let rows = dense.rows(0..<50)
    let all = try model.allDistances(rows)
    let transformed = try model.transform(rows)
    #expect(try model.transform(SparseMatrix(rows)).rowCount == 50)
    for row in 0..<50 {
      for center in 0..<5 {
        let expected = metric == .cosine ? all[row, center] : all[row, center].squareRoot()
        #expect(transformed[row, center] == expected)
        // By hand: ‖x − c‖ from the coordinates.
        if metric == .squaredEuclidean {
          let direct = zip(rows.row(row), model.centers.row(center))
            .map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
          #expect(abs(Double(transformed[row, center]) - direct) <= 1e-3 * max(1, direct))
        }
      }
    }
    let sparseAll = try model.allDistances(SparseMatrix(rows))
    let largest = zip(sparseAll.values, all.values).map { abs($0 - $1) }.max() ?? 1
    #expect(largest < 1e-3)
  }

  @Test("mini-batch runs through the same fit with configuration.miniBatch")
  func miniBatch() throws {
    let (dense, weights) = try Self.data()
    let configuration = Self.configuration(.squaredEuclidean, miniBatch: true)
    let one = try KMeansModel.fit(dense, weights: weights, configuration: configuration)
    let two = try KMeansModel.fit(dense, weights: weights, configuration: configuration)
    #expect(one.model.centers == two.model.centers)
    #expect(one.model.iterationStatistics.allSatisfy { ($0.rows ?? 0) <= 256 })
  }

  @Test("StreamingKMeans.predict takes every kind of rows and gives the model's answers")
  func streamedPredict() throws {
    let (dense, weights) = try Self.data()
    let model = try KMeansModel.fit(dense, configuration: Self.configuration(.squaredEuclidean))
      .model
    let expected = try model.predict(dense)
    let sparse = SparseMatrix(dense)
    func check<Rows: KMeansTrainable<Float>>(_ rows: Rows, inertia: Double, batchCount: Int)
      throws
    {
      var rows = rows
      var labels: [Int] = []
      var batches = 0
      let summary = try StreamingKMeans.predict(&rows, model: model, batchRows: 700) {
        batch, distances in
        #expect(batch.count == distances.count)
        labels += batch
        batches += 1
      }
      #expect(labels == expected)
      #expect(summary.rowCount == dense.rowCount)
      #expect(summary.clusterSizes == (0..<5).map { c in expected.filter { $0 == c }.count })
      #expect(abs(summary.inertia - inertia) <= 1e-6 * inertia)
      #expect(batches == batchCount)
    }
    // Sources are read in batches of 700 rows (3,000 rows: 5 batches); rows in memory are one.
    // The inertia of each kind of rows as `score` finds it (sparse distances are computed
    // from sparse dot products, so they differ from the dense ones in the last bits).
    try check(dense, inertia: try model.score(dense), batchCount: 1)
    try check(sparse, inertia: try model.score(sparse), batchCount: 1)
    try check(
      MatrixBatches(dense, weights: weights),
      inertia: try model.score(dense, weights: weights), batchCount: 5)
    try check(
      SparseMatrixBatches(sparse, weights: weights),
      inertia: try model.score(sparse, weights: weights), batchCount: 5)
    var source = MatrixBatches(dense)
    #expect(throws: KMeansError.self) {
      try StreamingKMeans.predict(&source, model: model, batchRows: 0)
    }
    var narrow = MatrixBatches(
      try Matrix(rowCount: 10, columnCount: 5, values: Array(dense.values.prefix(50))))
    #expect(throws: KMeansError.self) { try StreamingKMeans.predict(&narrow, model: model) }
  }

  @Test("the deprecated spellings still compile and give the same bits")
  @available(*, deprecated, message: "exercises the deprecated names on purpose")
  func deprecatedNames() throws {
    let (dense, weights) = try Self.data()
    let configuration = Self.configuration(.squaredEuclidean)
    let now = try KMeansModel.fit(dense, weights: weights, configuration: configuration)
    var iterations = 0
    let old = try KMeansModel.fit(
      dense, weights: weights, configuration: configuration, progress: { _ in iterations += 1 })
    #expect(old.model.centers == now.model.centers)
    #expect(iterations == now.model.iterationStatistics.count)
    let oldSparse = try KMeansModel.fit(
      SparseMatrix(dense), weights: weights, configuration: configuration, isCancelled: { false })
    #expect(oldSparse.labels == now.labels)
    var source = MatrixBatches(dense, weights: weights)
    let oldStream = try StreamingKMeans.fit(&source, configuration: configuration)
    #expect(oldStream.centers == now.model.centers)
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 256
    var settings = configuration
    settings.miniBatch = miniBatch
    let oldMiniBatch = try MiniBatchKMeans.fit(
      dense, configuration: configuration, miniBatch: miniBatch)
    #expect(
      oldMiniBatch.model.centers
        == (try KMeansModel.fit(dense, configuration: settings)).model.centers)
    let oldSparseMiniBatch = try MiniBatchKMeans.fit(
      SparseMatrix(dense), configuration: configuration, miniBatch: miniBatch)
    #expect(
      oldSparseMiniBatch.model.centers
        == (try KMeansModel.fit(SparseMatrix(dense), configuration: settings)).model.centers)
    #expect(throws: KMeansError.self) {
      try MiniBatchKMeans.fit(
        MatrixBatches(dense), configuration: configuration, miniBatch: miniBatch)
    }
    var sparseSource = SparseMatrixBatches(SparseMatrix(dense))
    let oldPredict = try StreamingKMeans.predict(sparse: &sparseSource, model: now.model)
    var newSource = SparseMatrixBatches(SparseMatrix(dense))
    let newPredict = try StreamingKMeans.predict(&newSource, model: now.model)
    #expect(oldPredict.clusterSizes == newPredict.clusterSizes)
    #expect(oldPredict.inertia == newPredict.inertia)
  }
}
