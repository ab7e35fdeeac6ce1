import Foundation
import KMeans
import KMeansEstimator
import KMeansIO

/// One rank's part of a distributed training job: this rank's rows (dense or sparse, with
/// weights), trained by the engine's one loop with the reduction over the ranks. With a model
/// directory the job is the model directory's one training run (``KMeansEstimator``'s, the
/// one `kmeans train --model-dir` runs): the same metadata checks and refusals, the same
/// resume, steps, checkpoints and summaries, with rank 0 holding the lock and writing.
package struct DistributedJob<Scalar: KMeansScalar> {
  /// This rank's rows and their place among all rows.
  package var shard: TrainingRun<Scalar>.Input
  package var rowOffset: Int
  package var dimension: Int
  package var configuration: KMeansConfiguration
  /// The model directory to train in (nil: train without one).
  package var modelDirectory: String?
  /// Checkpoints, summaries and retention of the model directory (its `clustering` is
  /// replaced by ``configuration``).
  package var directorySettings: EstimatorConfiguration
  /// Steps to run now, or the global step to train to (one of them with a model directory).
  package var steps: Int? = nil
  package var maxSteps: Int? = nil
  /// Progress after every step (on each rank; the command gives rank 0 one) and cancellation.
  package var observer = TrainingObserver()

  package init(
    shard: TrainingRun<Scalar>.Input, rowOffset: Int, dimension: Int,
    configuration: KMeansConfiguration
  ) {
    self.shard = shard
    self.rowOffset = rowOffset
    self.dimension = dimension
    self.configuration = configuration
    self.directorySettings = EstimatorConfiguration(clustering: configuration)
  }

  /// What a rank ends with.
  package struct Outcome {
    package var result: KMeansFitResult<Scalar>
    /// The global step the model directory's run started from, when it resumed.
    package var resumedFromStep: Int64?
    /// The model directory's report (nil without one).
    package var report: KMeansEstimator<Scalar>.TrainingReport?
    /// Every row's label (rank 0 only, when asked).
    package var allLabels: [Int]?
  }

  package func run(collectives: any Collectives, gatherLabels: Bool = false) throws -> Outcome {
    var outcome: Outcome
    if let modelDirectory {
      outcome = try runInDirectory(modelDirectory, collectives: collectives)
    } else {
      var run = TrainingRun<Scalar>(configuration: configuration)
      run.collectives = collectives
      run.rowOffset = rowOffset
      run.progress = observer.progress
      run.isCancelled = observer.isCancelled
      let result = try run.run(shard)
      outcome = Outcome(
        result: KMeansFitResult(
          model: result.model, labels: result.labels, distances: result.distances))
    }
    if gatherLabels {
      let parts = try collectives.gather(outcome.result.labels.map(Double.init))
      if collectives.rank == 0 { outcome.allLabels = parts.flatMap { $0 }.map { Int($0) } }
    }
    return outcome
  }

  /// The model directory's run, then the labels and global inertia of its final centers.
  private func runInDirectory(_ directory: String, collectives: any Collectives) throws
    -> Outcome
  {
    var settings = directorySettings
    settings.clustering = configuration
    let estimator = try KMeansEstimator<Scalar>(modelDirectory: directory, configuration: settings)
    let trained = try estimator.run(
      shard, dimension: dimension, featureNames: nil, steps: steps, maxSteps: maxSteps,
      observer: observer,
      share: .init(collectives: collectives, rowOffset: rowOffset))
    let report = trained.report
    let resumed = report.startStep > 0 ? report.startStep : nil
    if let run = trained.run {
      return Outcome(
        result: KMeansFitResult(model: run.model, labels: run.labels, distances: run.distances),
        resumedFromStep: resumed, report: report)
    }
    // Nothing left to run (the step reached, or a rule stopped it): the checkpoint's centers.
    var model = try estimator.model()
    let rows: TrainingRows<Scalar>
    let weights: [Double]?
    switch shard {
    case .dense(let matrix, let rowWeights): (rows, weights) = (.dense(matrix), rowWeights)
    case .sparse(let matrix, let rowWeights): (rows, weights) = (.sparse(matrix), rowWeights)
    case .compact(let matrix, let rowWeights): (rows, weights) = (.compact(matrix), rowWeights)
    case .stream, .sparseStream:
      throw KMeansError.invalidConfiguration("a distributed job reads its rows into memory")
    }
    let assigned = try model.predictWithDistances(rows, threadCount: configuration.threadCount)
    var inertia = 0.0
    for (row, distance) in assigned.distances.enumerated() {
      inertia += (weights?[row] ?? 1) * Double(distance)
    }
    model.inertia = try collectives.sum(inertia)
    model.stopReason = report.stopReason ?? .maxIterations
    return Outcome(
      result: KMeansFitResult(
        model: model, labels: assigned.labels, distances: assigned.distances),
      resumedFromStep: resumed, report: report)
  }
}
