import ArgumentParser
import KMeans
import KMeansIO

/// Mini-batch options of every training command.
package struct MiniBatchOptions: ParsableArguments {
  package init() {}

  @Flag(help: "Train with mini-batches (TensorFlow's update rule) instead of full-batch Lloyd.")
  package var miniBatch = false

  @Option(help: "Rows per mini-batch step.")
  package var batchSize: Int = 1024

  @Option(
    help: ArgumentHelp(
      "TensorFlow's mini_batch_steps_per_iteration.",
      discussion: "1 updates centers in place; S > 1 updates a copy that takes over every S steps."
    ))
  package var stepsPerIteration: Int = 1

  @Option(help: "The most passes over the data (mini-batch).")
  package var epochs: Int = 100

  @Option(
    help: "Stop after this many steps without improvement of the smoothed batch loss (0: never).")
  package var maxNoImprovement: Int = 10

  @Option(help: "Move centers whose count falls below this fraction of the largest (0: off).")
  package var reassignmentRatio: Double = 0.01

  @Option(
    help: ArgumentHelp(
      "Rows the mini-batch centers are seeded from (a weighted sample).",
      discussion:
        "Default: 256 × k rows, fewer where seeding them costs more than the automatic --seeding-sample budget, never fewer than scikit-learn's 3 × max(batch size, k) (which alone misses clusters on well-separated data)."
    ))
  package var initSize: Int?

  package var enabled: Bool { miniBatch }

  /// The settings, or nil without --mini-batch.
  package var configuration: MiniBatchConfiguration? {
    guard miniBatch else { return nil }
    var configuration = MiniBatchConfiguration()
    configuration.initializationSize = initSize
    configuration.batchSize = batchSize
    configuration.stepsPerIteration = stepsPerIteration
    configuration.epochs = epochs
    configuration.maxNoImprovement = maxNoImprovement > 0 ? maxNoImprovement : nil
    configuration.reassignmentRatio = reassignmentRatio
    return configuration
  }
}

/// The distance names the CLI accepts.
package enum MetricArgument: String, ExpressibleByArgument, CaseIterable {
  case euclidean, cosine

  package var metric: DistanceMetric { self == .cosine ? .cosine : .squaredEuclidean }
}

/// `--bisecting`: which leaf bisecting k-means splits next.
package enum BisectingArgument: String, ExpressibleByArgument, CaseIterable {
  case biggestInertia = "biggest-inertia"
  case largestCluster = "largest-cluster"

  package var strategy: BisectingKMeansModel<Float>.Strategy {
    self == .biggestInertia ? .biggestInertia : .largestCluster
  }
}

/// `--algorithm`: how full-batch Lloyd finds the nearest centers.
package enum AlgorithmArgument: String, ExpressibleByArgument, CaseIterable {
  case auto, lloyd, hamerly, yinyang

  package var algorithm: LloydAlgorithm {
    switch self {
    case .auto: .automatic
    case .lloyd: .lloyd
    case .hamerly: .hamerly
    case .yinyang: .yinyang
    }
  }
}
