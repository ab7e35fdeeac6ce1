import Foundation
import KMeans
import KMeansIO

/// What swift-kmeans records beside TensorFlow's files in a model directory
/// (`kmeans-estimator.json`): what TensorFlow keeps in its Python code, needed to predict
/// from the directory alone. TensorFlow ignores the file.
public struct EstimatorMetadata: Codable, Sendable, Equatable {
  /// `swift-kmeans-estimator/1`.
  public var format = "swift-kmeans-estimator/1"
  /// `float32` or `float64`: the precision training ran in.
  public var dtype: String
  /// The distance.
  public var metric: DistanceMetric
  /// The number of clusters.
  public var clusterCount: Int
  /// The number of features.
  public var dimension: Int
  /// 0 for full batch, else the mini-batch steps per iteration.
  public var stepsPerIteration: Int
  /// The feature columns' names, in the model's column order, when the input had names.
  public var featureNames: [String]?

  static let fileName = "kmeans-estimator.json"

  /// Metadata for a model directory.
  public init(
    dtype: String, metric: DistanceMetric, clusterCount: Int, dimension: Int,
    stepsPerIteration: Int, featureNames: [String]?
  ) {
    self.dtype = dtype
    self.metric = metric
    self.clusterCount = clusterCount
    self.dimension = dimension
    self.stepsPerIteration = stepsPerIteration
    self.featureNames = featureNames
  }
}

/// The variables of one checkpoint, as the trainer needs them.
package struct CheckpointVariables<Scalar: KMeansScalar> {
  package var clusters: Matrix<Scalar>
  package var initialized: Bool
  package var globalStep: Int64
  package var counts: [Int64]?
  package var clustersUpdated: Matrix<Scalar>?
  package var updateInSteps: Int64?
  /// The exact running weight per center (mini-batch with sample weights; `counts` rounds).
  package var weightTotals: [Double]?
  /// What the stopping rules remember (swift-kmeans only; TensorFlow ignores it).
  package var loopState: LoopState?

  package init(
    clusters: Matrix<Scalar>, initialized: Bool, globalStep: Int64, counts: [Int64]? = nil,
    clustersUpdated: Matrix<Scalar>? = nil, updateInSteps: Int64? = nil,
    weightTotals: [Double]? = nil, loopState: LoopState? = nil
  ) {
    self.clusters = clusters
    self.initialized = initialized
    self.globalStep = globalStep
    self.counts = counts
    self.clustersUpdated = clustersUpdated
    self.updateInSteps = updateInSteps
    self.weightTotals = weightTotals
    self.loopState = loopState
  }

  /// A checkpoint of a trainer and the loop's state.
  package init(trainer: KMeansTrainer<Scalar>, loopState: LoopState?) {
    let miniBatch = trainer.mode != .fullBatch
    var stepsPerIteration = 0
    if case .miniBatch(let steps) = trainer.mode { stepsPerIteration = steps }
    self.init(
      clusters: trainer.clusters, initialized: trainer.initialized,
      globalStep: trainer.globalStep, counts: miniBatch ? trainer.counts : nil,
      clustersUpdated: stepsPerIteration > 1 ? trainer.clustersUpdated : nil,
      updateInSteps: stepsPerIteration > 1 ? trainer.updateInSteps : nil,
      weightTotals: miniBatch ? trainer.weightTotals : nil, loopState: loopState)
  }

  /// A trainer in this checkpoint's state (and the loop's), or nil when not initialized.
  package func restoring(
    configuration: KMeansConfiguration, mode: TrainingMode
  ) throws -> (trainer: KMeansTrainer<Scalar>, state: LoopState)? {
    guard initialized else { return nil }
    var trainer = try KMeansTrainer<Scalar>(configuration: configuration, mode: mode)
    try trainer.restore(
      clusters: clusters, counts: counts, clustersUpdated: clustersUpdated,
      updateInSteps: updateInSteps, globalStep: globalStep, weightTotals: weightTotals)
    return (trainer, loopState ?? LoopState())
  }
}

/// The loop's state as two checkpoint tensors (`swift_kmeans/loop_doubles`, `…/loop_integers`).
enum LoopStateTensors {
  static let doublesName = "swift_kmeans/loop_doubles"
  static let integersName = "swift_kmeans/loop_integers"
  static let weightsName = "swift_kmeans/weight_totals"
  static let reasons: [StopReason] = [
    .labelsUnchanged, .centerShiftTolerance, .relativeLossTolerance, .maxIterations,
    .noImprovement, .cancelled,
  ]

  static func tensors(_ state: LoopState) -> [BundleTensor] {
    [
      BundleTensor(
        name: doublesName, shape: [3],
        doubles: [
          state.previousLoss ?? .nan, state.smoothedLoss ?? .nan, state.bestSmoothedLoss ?? .nan,
        ]),
      BundleTensor(
        name: integersName, shape: [6],
        int64s: [
          Int64(bitPattern: state.labelFingerprint ?? 0), state.labelFingerprint == nil ? 0 : 1,
          Int64(state.stepsWithoutImprovement), Int64(state.rowsSinceReassignment),
          Int64(state.reassignedCenters),
          Int64(state.stopReason.flatMap { reasons.firstIndex(of: $0) } ?? -1),
        ]),
    ]
  }

  static func state(doubles: [Double], integers: [Int64]) -> LoopState? {
    guard doubles.count == 3, integers.count == 6 else { return nil }
    var state = LoopState()
    func value(_ x: Double) -> Double? { x.isNaN ? nil : x }
    state.previousLoss = value(doubles[0])
    state.smoothedLoss = value(doubles[1])
    state.bestSmoothedLoss = value(doubles[2])
    state.labelFingerprint = integers[1] == 1 ? UInt64(bitPattern: integers[0]) : nil
    state.stepsWithoutImprovement = Int(integers[2])
    state.rowsSinceReassignment = Int(integers[3])
    state.reassignedCenters = Int(integers[4])
    let reason = Int(integers[5])
    state.stopReason = reasons.indices.contains(reason) ? reasons[reason] : nil
    return state
  }
}
