import ArgumentParser
import KMeans
import KMeansIO

/// Mini-batch and streaming options of `kmeans train`.
struct MiniBatchOptions: ParsableArguments {
  @Flag(help: "Train with mini-batches (TensorFlow's update rule) instead of full-batch Lloyd.")
  var miniBatch = false

  @Option(help: "Rows per mini-batch step.")
  var batchSize: Int = 1024

  @Option(
    help: ArgumentHelp(
      "TensorFlow's mini_batch_steps_per_iteration.",
      discussion: "1 updates centers in place; S > 1 updates a copy that takes over every S steps."
    ))
  var stepsPerIteration: Int = 1

  @Option(help: "The most passes over the data (mini-batch).")
  var epochs: Int = 100

  @Option(
    help: "Stop after this many steps without improvement of the smoothed batch loss (0: never).")
  var maxNoImprovement: Int = 10

  @Option(help: "Move centers whose count falls below this fraction of the largest (0: off).")
  var reassignmentRatio: Double = 0.01

  @Flag(
    help: ArgumentHelp(
      "Read the data a batch at a time (implies --mini-batch): memory stays bounded for files larger than memory.",
      discussion:
        ".npy files are memory-mapped and released as they are read; CSV files are read in 1 MiB blocks."
    ))
  var stream = false

  var enabled: Bool { miniBatch || stream }

  var configuration: MiniBatchConfiguration {
    var configuration = MiniBatchConfiguration()
    configuration.batchSize = batchSize
    configuration.stepsPerIteration = stepsPerIteration
    configuration.epochs = epochs
    configuration.maxNoImprovement = maxNoImprovement > 0 ? maxNoImprovement : nil
    configuration.reassignmentRatio = reassignmentRatio
    return configuration
  }
}

/// The distance names the CLI accepts.
enum MetricArgument: String, ExpressibleByArgument, CaseIterable {
  case euclidean, cosine

  var metric: DistanceMetric { self == .cosine ? .cosine : .squaredEuclidean }
}

/// The model-directory options of `kmeans train`.
struct EstimatorOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Train in a model directory (TensorFlow checkpoints), resuming from its latest checkpoint.",
      valueName: "directory"))
  var modelDir: String?

  @Option(help: "Training steps to run now (with --model-dir).")
  var steps: Int?

  @Option(help: "Train until the global step reaches this (with --model-dir).")
  var maxSteps: Int?

  @Option(help: "Write a checkpoint every this many steps (and at the end).")
  var checkpointEvery: Int = 100

  @Option(help: "Also write one when this many seconds have passed since the last.")
  var checkpointSeconds: Double = 600

  @Option(help: "Checkpoints to keep; older ones are deleted.")
  var keepCheckpoints: Int = 5

  func validate() throws {
    if modelDir != nil && steps == nil && maxSteps == nil {
      throw ValidationError("--model-dir needs --steps N or --max-steps N")
    }
  }
}

/// `--bisecting`: which leaf bisecting k-means splits next.
enum BisectingArgument: String, ExpressibleByArgument, CaseIterable {
  case biggestInertia = "biggest-inertia"
  case largestCluster = "largest-cluster"

  var strategy: BisectingKMeansModel<Float>.Strategy {
    self == .biggestInertia ? .biggestInertia : .largestCluster
  }
}

/// `--algorithm`: how full-batch Lloyd finds the nearest centers.
enum AlgorithmArgument: String, ExpressibleByArgument, CaseIterable {
  case auto, lloyd, hamerly

  var algorithm: LloydAlgorithm {
    switch self {
    case .auto: .automatic
    case .lloyd: .lloyd
    case .hamerly: .hamerly
    }
  }
}
