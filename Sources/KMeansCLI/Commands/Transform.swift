import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansIO

extension KMeansCommand {
  /// `kmeans transform`: every distance to every center.
  struct Transform: ParsableCommand, ModelCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write the distance from every row to every center (rows × clusters).",
      discussion: """
        Distances are in the model's metric: squared Euclidean, or 1 − cos; with --model-dir \
        they are Euclidean (the square root), as TensorFlow's estimator returns them, unless \
        --no-euclidean. This is the one command whose output grows as rows × clusters.

        Example:
          kmeans transform --model digits.json Data/digits.csv --label-column digit --output distances.npy
        """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var input: InputOptions

    @Option(name: .shortAndLong, help: "Write the distances to this .npy or .csv file.")
    var output: String

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(
      inversion: .prefixedNo,
      help: ArgumentHelp(
        "Write Euclidean distances (square roots) instead of squared ones.",
        discussion: "Default: on with --model-dir (as TensorFlow's estimator), off with --model."))
    var euclidean: Bool?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws { try runWithModel() }

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      try transform(model, featureNames: featureNames)
    }

    func transform<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, featureNames: [String]?)
      throws
    {
      let (data, _, _, _) = try input.loadFeatures(
        Scalar.self, featureNames: featureNames, columnCount: model.dimension)
      var distances = try data.transform(model, threadCount: threads)
      // TensorFlow's estimator transform returns Euclidean distances: the default for a model
      // directory.
      if model.metric == .squaredEuclidean && (euclidean ?? (modelOptions.modelDir != nil)) {
        for row in 0..<distances.rowCount {
          for column in 0..<distances.columnCount {
            distances[row, column] = distances[row, column].squareRoot()
          }
        }
      }
      if output.lowercased().hasSuffix(".npy") {
        try NumPyFile.write(distances, to: output)
      } else {
        var text = (0..<model.clusterCount).map { "cluster\($0)" }.joined(separator: ",") + "\n"
        for row in 0..<distances.rowCount {
          text += distances.row(row).map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: output)
      }
      if outputOptions.json {
        try printJSON([
          "rows": distances.rowCount, "clusters": distances.columnCount, "output": output,
          "euclidean": model.metric == .squaredEuclidean
            && (euclidean ?? (modelOptions.modelDir != nil)),
        ])
      } else {
        print("wrote \(distances.rowCount) × \(distances.columnCount) distances to \(output)")
      }
    }
  }
}
