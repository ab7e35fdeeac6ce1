import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

/// TensorFlow 2.15.1's k-means training op, step by step
/// (Tests/KMeansTests/Fixtures/tf-kmeans-training, copied from the project's shared fixtures;
/// its README gives the order of operations and the tolerances used here).
@Suite("TensorFlow training steps")
struct TensorFlowTrainingTests {
  struct Case: Decodable {
    struct Parameters: Decodable {
      var distanceMetric: String
      var useMiniBatch: Bool
      var miniBatchStepsPerIteration: Int
      var inputShards: [[Int]]?
      var initialClusters: String
    }
    struct State: Decodable {
      var clusters: [[Double]]
      var clustersUpdated: [[Double]]?
      var counts: [Int64]?
      var updateInSteps: Int64?
    }
    struct Step: Decodable {
      var step: Int
      var rows: [Int]
      var loss: Double
      var clusterIdx: [Int]
      var scores: [Double]
      var clusters: [[Double]]
      var clustersUpdated: [[Double]]?
      var counts: [Int64]?
      var updateInSteps: Int64?
      var syncRanAtStartOfStep: Bool?
    }
    var params: Parameters
    var stateAfterInitOp: State
    var steps: [Step]
  }

  static let directory = TestData.root.appendingPathComponent(
    "Tests/KMeansTests/Fixtures/tf-kmeans-training")

  static let caseFiles: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasPrefix("case-") && $0.hasSuffix(".json") }.sorted()
  }()

  @Test("the fixture directory holds all seven cases (a missing one fails, not skips)")
  func fixturesPresent() {
    #expect(
      Self.caseFiles.count == 7,
      "\(Self.directory.path) holds \(Self.caseFiles.count) case files, 7 expected")
  }

  /// The fixture's tolerance: |got − want| ≤ 1e-5·|want| + 1e-6.
  static func close(_ got: Double, _ want: Double) -> Bool {
    abs(got - want) <= 1e-5 * abs(want) + 1e-6
  }

  func expectClose(
    _ got: Matrix<Float>, _ want: [[Double]], _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(got.rowCount == want.count, "\(what): row count", sourceLocation: sourceLocation)
    for (row, values) in want.enumerated() where row < got.rowCount {
      for (column, value) in values.enumerated() {
        let ours = Double(got[row, column])
        #expect(
          Self.close(ours, value), "\(what)[\(row)][\(column)] = \(ours), TensorFlow \(value)",
          sourceLocation: sourceLocation)
      }
    }
  }

  @Test("every step of every case", arguments: caseFiles)
  func reproduce(file: String) throws {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let fixture = try decoder.decode(
      Case.self, from: Data(contentsOf: Self.directory.appendingPathComponent(file)))
    var noHeader = CSVReadOptions()
    noHeader.hasHeader = false
    let points = try CSVReader.read(
      Self.directory.appendingPathComponent("points.csv").path, options: noHeader,
      as: Float.self
    ).matrix
    let centersFile =
      fixture.params.initialClusters.contains("empty_case")
      ? "init_centers_empty_case.csv" : "init_centers.csv"
    let initial = try CSVReader.read(
      Self.directory.appendingPathComponent(centersFile).path, options: noHeader, as: Double.self
    ).matrix

    var configuration = KMeansConfiguration(clusterCount: initial.rowCount)
    configuration.initialization = .centers(initial)
    configuration.metric = fixture.params.distanceMetric == "cosine" ? .cosine : .squaredEuclidean
    configuration.tfCompat = true
    let mode: TrainingMode =
      fixture.params.useMiniBatch
      ? .miniBatch(stepsPerIteration: fixture.params.miniBatchStepsPerIteration) : .fullBatch
    var trainer = try KMeansTrainer<Float>(configuration: configuration, mode: mode)
    #expect(try trainer.initialize(with: points))
    expectClose(trainer.clusters, fixture.stateAfterInitOp.clusters, "clusters after init")
    if let counts = fixture.stateAfterInitOp.counts { #expect(trainer.counts == counts) }
    if let steps = fixture.stateAfterInitOp.updateInSteps {
      #expect(trainer.updateInSteps == steps)
    }

    for step in fixture.steps {
      let batch = points.rows(step.rows[0]..<step.rows[1])
      let shards = fixture.params.inputShards.map { ranges in
        ranges.map { batch.rows($0[0]..<$0[1]) }
      }
      let previousCenters =
        configuration.metric == .cosine ? trainer.model.centers : trainer.clusters
      let output = try trainer.step(on: shards ?? [batch])
      let indices = output.shards.flatMap(\.clusterIndices)
      let scores = output.shards.flatMap(\.scores)
      #expect(indices == step.clusterIdx, "step \(step.step): cluster indices")
      // TensorFlow's scores are float32 ‖x‖² + ‖c‖² − 2x·c, whose cancellation error is a few
      // ulps of ‖x‖² + ‖c‖² (its own cases 1 and 3 differ by 3.8e-6 on a score of 0.085); ours
      // are computed from the differences. Allow the fixture's tolerance plus that error.
      for (row, (ours, theirs)) in zip(scores, step.scores).enumerated() {
        let label = step.clusterIdx[row]
        let x = batch.row(row).map(Double.init)
        let center = previousCenters.row(label).map(Double.init)
        let magnitude = x.reduce(0) { $0 + $1 * $1 } + center.reduce(0) { $0 + $1 * $1 }
        let allowed = 1e-5 * abs(theirs) + 1e-6 + 4 * Double(Float.ulpOfOne) * magnitude
        #expect(
          abs(Double(ours) - theirs) <= allowed,
          "step \(step.step) score \(row): \(ours) vs \(theirs)")
      }
      #expect(
        Self.close(output.loss, step.loss), "step \(step.step) loss \(output.loss) vs \(step.loss)")
      expectClose(trainer.clusters, step.clusters, "step \(step.step) clusters")
      if let updated = step.clustersUpdated {
        expectClose(trainer.clustersUpdated, updated, "step \(step.step) clustersUpdated")
      }
      if let counts = step.counts { #expect(trainer.counts == counts, "step \(step.step) counts") }
      if let steps = step.updateInSteps {
        #expect(trainer.updateInSteps == steps, "step \(step.step) updateInSteps")
      }
      if let sync = step.syncRanAtStartOfStep {
        #expect(output.syncRanAtStart == sync, "step \(step.step) sync")
      }
      #expect(trainer.globalStep == Int64(step.step))
    }
  }
}
