import Foundation
import KMeans
import KMeansIO
import Testing

@testable import KMeansEstimator

@Suite("Estimator")
struct EstimatorTests {
  func fixturePoints() throws -> Matrix<Float> {
    var options = CSVReadOptions()
    options.hasHeader = nil
    return try CSVReader.read(
      Fixtures.path("tf-kmeans-estimator/points.csv"), options: options, as: Float.self
    ).matrix
  }

  /// Uniform points, where Lloyd needs many iterations to settle (the checkpoint tests run
  /// more steps than the fixture needs to converge).
  func slowPoints() throws -> Matrix<Float> {
    var random = RandomSource(seed: 5)
    return try Matrix(
      rowCount: 3000, columnCount: 3, values: (0..<9000).map { _ in Float(random.nextUnit()) })
  }

  func configuration(k: Int = 3, mode: TrainingMode = .fullBatch) -> EstimatorConfiguration {
    var clustering = KMeansConfiguration(clusterCount: k)
    clustering.seed = 11
    clustering.tolerance = 0
    if case .miniBatch(let steps) = mode {
      var miniBatch = MiniBatchConfiguration()
      miniBatch.stepsPerIteration = steps
      miniBatch.batchSize = 16
      clustering.miniBatch = miniBatch
    }
    var configuration = EstimatorConfiguration(clustering: clustering)
    configuration.checkpointEverySteps = 1
    return configuration
  }

  @Test("TensorFlow's model_dir loads and predicts its cluster indices and score")
  func tensorFlowDirectory() throws {
    let expected = try Fixtures.estimatorExpectation()
    let points = try fixturePoints()
    guard
      case .float(let model) = try ModelDirectory.loadModel(
        directory: Fixtures.path("tf-kmeans-estimator/model_dir"))
    else {
      Issue.record("a TensorFlow directory should load as float32")
      return
    }
    #expect(try model.predict(points) == expected.clusterIndex)
    #expect(abs(try model.score(points) - expected.score) <= 1e-5 * expected.score)
    #expect(model.iterationCount == 5)
    let estimator = try KMeansEstimator<Float>(
      modelDirectory: Fixtures.path("tf-kmeans-estimator/model_dir"), configuration: configuration()
    )
    #expect(try estimator.predictClusterIndex(input: .matrix(points)) == expected.clusterIndex)
    #expect(
      try estimator.clusterCenters().values
        == expected.clusterCenters.flatMap { $0.map(Float.init) })
  }

  @Test(
    "resuming gives the same bits as an uninterrupted run",
    arguments: [
      TrainingMode.fullBatch, .miniBatch(stepsPerIteration: 1), .miniBatch(stepsPerIteration: 3),
    ])
  func resume(mode: TrainingMode) throws {
    let points = try slowPoints()
    let whole = try Fixtures.temporaryDirectory()
    let split = try Fixtures.temporaryDirectory()
    defer {
      try? FileManager.default.removeItem(atPath: whole)
      try? FileManager.default.removeItem(atPath: split)
    }
    let one = try KMeansEstimator<Double>(
      modelDirectory: whole, configuration: configuration(k: 12, mode: mode))
    try one.train(input: .matrix(points.converted(to: Double.self)), steps: 9)
    let two = try KMeansEstimator<Double>(
      modelDirectory: split, configuration: configuration(k: 12, mode: mode))
    let first = try two.train(input: .matrix(points.converted(to: Double.self)), steps: 4)
    #expect(first.finalStep == 4)
    let again = try KMeansEstimator<Double>(
      modelDirectory: split, configuration: configuration(k: 12, mode: mode))
    let second = try again.train(input: .matrix(points.converted(to: Double.self)), maxSteps: 9)
    #expect(second.startStep == 4 && second.finalStep == 9)
    #expect(try one.clusterCenters() == again.clusterCenters())
    // Only the last five checkpoints stay, and the checkpoint file names them oldest first.
    let state = try #require(try CheckpointState.read(directory: split))
    #expect(state.all == (5...9).map { "model.ckpt-\($0)" })
    let files = try FileManager.default.contentsOfDirectory(atPath: split).filter {
      $0.hasSuffix(".index")
    }
    #expect(files.count == 5)
    // A Double model keeps float32 copies for TensorFlow and exact float64 ones for itself.
    let reader = try TensorBundleReader(prefix: split + "/model.ckpt-9")
    #expect(reader.entries["clusters"]?.dataType == .float)
    #expect(reader.entries["clusters_float64"]?.dataType == .double)
    if case .miniBatch(let steps) = mode {
      #expect(reader.entries["Variable"]?.dataType == .int64)
      #expect((reader.entries["clusters_updated"] != nil) == (steps > 1))
    } else {
      #expect(reader.entries["Variable"] == nil)
    }
  }

  @Test("the relative tolerance stops training and checkpoints the last step")
  func relativeTolerance() throws {
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = configuration()
    configuration.clustering.relativeTolerance = 1e-3
    configuration.checkpointEverySteps = nil
    configuration.checkpointEverySeconds = nil
    let estimator = try KMeansEstimator<Float>(
      modelDirectory: directory, configuration: configuration)
    let report = try estimator.train(input: .matrix(fixturePoints()), steps: 100)
    #expect(report.stoppedByTolerance)
    #expect(report.finalStep < 100)
    #expect(report.checkpointSteps == [report.finalStep])
  }

  @Test("transform is Euclidean, predict gives all squared distances, score sums them")
  func inference() throws {
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let points = try fixturePoints()
    let estimator = try KMeansEstimator<Float>(
      modelDirectory: directory, configuration: configuration())
    let report = try estimator.train(input: .matrix(points), steps: 5)
    let (labels, all) = try estimator.predict(input: .matrix(points))
    let euclidean = try estimator.transform(input: .matrix(points))
    var total = 0.0
    for row in 0..<points.rowCount {
      total += Double(all[row, labels[row]])
      for column in 0..<3 {
        #expect(abs(euclidean[row, column] - all[row, column].squareRoot()) <= 1e-5)
      }
    }
    #expect(abs(try estimator.score(input: .matrix(points)) - total) <= 1e-4 * total)
    #expect(try estimator.evaluate(input: .matrix(points)).globalStep == report.finalStep)
    #expect(report.finalStep == 5 || report.stopReason == .labelsUnchanged)
  }

  @Test("named features: sorted names by default, remembered for prediction")
  func featureColumns() throws {
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let points = try fixturePoints()
    let columns: [String: [Float]] = [
      "y": (0..<points.rowCount).map { points[$0, 1] },
      "x": (0..<points.rowCount).map { points[$0, 0] },
      "unused": [Float](repeating: 1, count: points.rowCount),
    ]
    var configuration = configuration()
    configuration.featureColumns = ["x", "y"]
    let estimator = try KMeansEstimator<Float>(
      modelDirectory: directory, configuration: configuration)
    try estimator.train(input: .columns(columns), steps: 5)
    #expect(try ModelDirectory.metadata(directory: directory)?.featureNames == ["x", "y"])
    let viaMatrix = try estimator.predictClusterIndex(input: .matrix(points))
    let viaColumns = try estimator.predictClusterIndex(input: .columns(columns))
    #expect(viaMatrix == viaColumns)
    let sorted = try EstimatorInput<Float>.columns(["b": [1, 2], "a": [3, 4]]).features(
      selecting: nil)
    #expect(sorted.1 == ["a", "b"])
    #expect(sorted.0 == (try Matrix(rows: [[3, 1], [4, 2]])))
    #expect(throws: KMeansError.self) {
      try EstimatorInput<Float>.columns(["a": [1]]).features(selecting: ["z"])
    }
  }

  @Test("a directory refuses another k, metric or precision; a wrong dtype is a clear error")
  func mismatches() throws {
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let estimator = try KMeansEstimator<Float>(
      modelDirectory: directory, configuration: configuration())
    try estimator.train(input: .matrix(fixturePoints()), steps: 2)
    let otherK = #expect(throws: KMeansError.self) {
      try KMeansEstimator<Float>(modelDirectory: directory, configuration: configuration(k: 4))
    }
    #expect(otherK?.description.contains("was trained with k 3, not 4") == true)
    #expect(throws: KMeansError.self) {
      try KMeansEstimator<Double>(modelDirectory: directory, configuration: configuration())
    }
    // Overwrite the latest checkpoint with an int64 `clusters`.
    try TensorBundleWriter.write(
      [
        BundleTensor(name: "clusters", shape: [3, 2], int64s: [1, 2, 3, 4, 5, 6]),
        BundleTensor(name: "initialized", bool: true),
        BundleTensor(name: "global_step", shape: [], int64s: [2]),
      ], prefix: directory + "/model.ckpt-2")
    let wrong = #expect(throws: KMeansError.self) { try estimator.clusterCenters() }
    #expect(
      wrong?.description.contains("variable 'clusters' is int64, expected float32 or float64")
        == true)
  }

  @Test("the checkpoint file is optional: the highest-numbered index is the latest")
  func missingStateFile() throws {
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let estimator = try KMeansEstimator<Float>(
      modelDirectory: directory, configuration: configuration())
    try estimator.train(input: .matrix(slowPoints()), steps: 3)
    try FileManager.default.removeItem(atPath: directory + "/checkpoint")
    #expect(
      try ModelDirectory.latestCheckpoint(directory: directory) == directory + "/model.ckpt-3")
  }
}
