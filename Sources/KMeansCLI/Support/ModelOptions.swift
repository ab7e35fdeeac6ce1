import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansEstimator
import KMeansIO

/// Where a command finds its model: a model file or a model directory.
struct ModelOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "A model file saved by 'kmeans train --output' or 'kmeans export' (JSON), or .npy centers.",
      discussion: ".npy centers are used with the squared Euclidean distance."))
  var model: String?

  @Option(
    help: ArgumentHelp(
      "A model directory written by 'kmeans train --model-dir' or by TensorFlow's k-means estimator.",
      discussion: "The latest checkpoint is used."))
  var modelDir: String?

  func validate() throws {
    if (model == nil) == (modelDir == nil) {
      throw ValidationError("give exactly one of --model FILE and --model-dir DIR")
    }
  }

  /// The model, and the feature names it was trained on when they are known.
  func load() throws -> (AnyKMeansModel, featureNames: [String]?) {
    let loaded =
      try modelDir.map { try ModelDirectory.loadModel(directory: $0) }
      ?? ModelFile.read(model ?? "")
    switch loaded {
    case .float(let model): return (loaded, model.featureNames)
    case .double(let model): return (loaded, model.featureNames)
    }
  }
}

/// A command that works on a loaded model, in the model's own precision.
protocol ModelCommand: ParsableCommand {
  /// Where the model comes from.
  var modelOptions: ModelOptions { get }
  /// The work, given the model and the feature names it was trained on.
  func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws
}

extension ModelCommand {
  /// Loads the model and runs the command, reporting ``KMeans/KMeansError``s as exit code 1.
  func run() throws {
    try reportingErrors {
      let (loaded, names) = try modelOptions.load()
      switch loaded {
      case .float(let model): try run(model: model, featureNames: names)
      case .double(let model): try run(model: model, featureNames: names)
      }
    }
  }
}

extension EstimatorInput {
  /// The input's features in the order the model directory's metadata records.
  func features(for directory: String) throws -> (Matrix<Scalar>, [String]?) {
    try features(selecting: ModelDirectory.metadata(directory: directory)?.featureNames)
  }
}
