import ArgumentParser
import Foundation
import KMeans
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
      ?? ModelFile.loadAny(model ?? "")
    switch loaded {
    case .float(let model): return (loaded, model.featureNames)
    case .double(let model): return (loaded, model.featureNames)
    }
  }
}

/// A command that works on a loaded model, in the model's own precision.
protocol ModelCommand {
  /// Where the model comes from.
  var modelOptions: ModelOptions { get }
  /// The work, given the model and the feature names it was trained on.
  func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws
}

extension ModelCommand {
  /// Loads the model and runs the command, reporting ``KMeans/KMeansError``s as exit code 1.
  func runWithModel() throws {
    try reportingErrors {
      let (loaded, names) = try modelOptions.load()
      switch loaded {
      case .float(let model): try run(model: model, featureNames: names)
      case .double(let model): try run(model: model, featureNames: names)
      }
    }
  }
}

extension InputOptions {
  /// The features in the model's column order: with no --columns, a model trained on named
  /// columns selects the same names from a CSV file.
  func load<Scalar: KMeansScalar>(_: Scalar.Type, featureNames: [String]?) throws -> (
    Matrix<Scalar>, [String]?
  ) {
    guard columns == nil, let featureNames, !data.lowercased().hasSuffix(".npy") else {
      return try load(Scalar.self)
    }
    var copy = self
    copy.columns = featureNames.map(CSVColumn.name)
    return try copy.load(Scalar.self)
  }

  /// Named columns for the estimator: every feature column by name (TensorFlow sorts them),
  /// or a matrix for `.npy` files; and the labels.
  func estimatorInput<Scalar: KMeansScalar>(_: Scalar.Type) throws -> (
    EstimatorInput<Scalar>, [String]?
  ) {
    if data.lowercased().hasSuffix(".npy") {
      let (matrix, labels) = try load(Scalar.self)
      return (.matrix(matrix), labels)
    }
    var options = CSVReadOptions()
    options.columns = columns
    options.labelColumn = labelColumn.map(CSVColumn.init)
    options.hasHeader = header
    let dataset = try CSVReader.read(data, options: options, as: Scalar.self)
    if columns != nil {
      // Explicit columns keep their order: hand them over as a matrix.
      return (.matrix(dataset.matrix), dataset.labels)
    }
    var named: [String: [Scalar]] = [:]
    for (index, name) in dataset.columnNames.enumerated() {
      named[name] = (0..<dataset.matrix.rowCount).map { dataset.matrix[$0, index] }
    }
    return (.columns(named), dataset.labels)
  }
}

extension EstimatorInput {
  /// The input's features in the order the model directory's metadata records.
  func features(for directory: String) throws -> (Matrix<Scalar>, [String]?) {
    try features(selecting: ModelDirectory.metadata(directory: directory)?.featureNames)
  }
}
