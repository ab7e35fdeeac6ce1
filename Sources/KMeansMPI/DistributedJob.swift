import Foundation
import KMeans
import KMeansEstimator
import KMeansIO

/// One rank's part of a distributed training job: read this rank's rows of a `.npy` file,
/// resume from a model directory's latest checkpoint if there is one, train with
/// ``KMeans``'s distributed Lloyd, and (rank 0 only) write TensorFlow checkpoints.
package struct DistributedJob<Scalar: KMeansScalar> {
  package var dataPath: String
  package var configuration: KMeansConfiguration
  package var initialization: DistributedInitialization
  package var modelDirectory: String?
  package var checkpointEvery: Int = 10
  package var keepCheckpoints: Int = 5

  package init(
    dataPath: String, configuration: KMeansConfiguration, initialization: DistributedInitialization
  ) {
    self.dataPath = dataPath
    self.configuration = configuration
    self.initialization = initialization
  }

  /// What a rank ends with.
  package struct Outcome {
    package var result: KMeansFitResult<Scalar>
    package var plan: ShardPlan
    package var resumedFromStep: Int64?
    /// Every row's label (rank 0 only, when asked).
    package var allLabels: [Int]?
  }

  package func run(collectives: Collectives, gatherLabels: Bool = false) throws -> Outcome {
    let rows = try NumPyBatchReader<Scalar>(dataPath).totalRows
    let plan = ShardPlan(totalRows: rows, rankCount: collectives.size)
    let shard = try plan.readShard(dataPath, rank: collectives.rank, as: Scalar.self)
    let k = configuration.effectiveClusterCount
    var resume: (centers: Matrix<Scalar>, iteration: Int)? = nil
    var resumedFrom: Int64? = nil
    if let modelDirectory,
      let prefix = try ModelDirectory.latestCheckpoint(directory: modelDirectory)
    {
      let variables = try ModelDirectory.load(prefix: prefix, as: Scalar.self)
      if variables.initialized {
        guard variables.clusters.rowCount == k, variables.clusters.columnCount == shard.columnCount
        else {
          throw KMeansError.dimensionMismatch(
            expected: shard.columnCount, actual: variables.clusters.columnCount,
            context: "the checkpoint \(prefix) (k=\(variables.clusters.rowCount))")
        }
        resume = (variables.clusters, Int(variables.globalStep))
        resumedFrom = variables.globalStep
      }
    }
    let isWriter = collectives.rank == 0 && modelDirectory != nil
    if isWriter, let modelDirectory {
      try FileManager.default.createDirectory(
        atPath: modelDirectory, withIntermediateDirectories: true)
      if try ModelDirectory.metadata(directory: modelDirectory) == nil {
        try ModelDirectory.writeMetadata(
          EstimatorMetadata(
            dtype: Scalar.dtypeName, metric: configuration.metric, clusterCount: k,
            dimension: shard.columnCount, stepsPerIteration: 0, featureNames: nil),
          directory: modelDirectory)
      }
    }
    let every = checkpointEvery
    let keep = keepCheckpoints
    let directory = modelDirectory
    let result = try DistributedKMeans.fit(
      shard: shard, rowOffset: plan.rows(of: collectives.rank).lowerBound,
      configuration: configuration, initialization: initialization, resumeFrom: resume,
      collectives: collectives
    ) { record, centers in
      guard isWriter, let directory, record.iteration % every == 0 else { return }
      try ModelDirectory.save(
        CheckpointVariables(
          clusters: centers, initialized: true, globalStep: Int64(record.iteration)),
        directory: directory, keep: keep)
    }
    if isWriter, let directory {
      try ModelDirectory.save(
        CheckpointVariables(
          clusters: result.model.centers, initialized: true,
          globalStep: Int64(result.model.iterationCount)),
        directory: directory, keep: keep)
    }
    var allLabels: [Int]? = nil
    if gatherLabels {
      let parts = try collectives.gather(result.labels.map(Double.init))
      if collectives.rank == 0 { allLabels = parts.flatMap { $0 }.map { Int($0) } }
    }
    return Outcome(result: result, plan: plan, resumedFromStep: resumedFrom, allLabels: allLabels)
  }
}
