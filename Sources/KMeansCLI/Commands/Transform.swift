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
        Distances are Euclidean (the square root of the squared distance) for a squared \
        Euclidean model, as scikit-learn's and TensorFlow's transform return them, and 1 − cos \
        for a cosine one; --no-euclidean writes them in the model's metric (squared). This is \
        the one command whose output grows as rows × clusters.

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
      help:
        "Write Euclidean distances (square roots), as transform means everywhere; --no-euclidean: squared ones."
    )
    var euclidean = true

    @OptionGroup var outputOptions: OutputOptions

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      let (data, _, _, _) = try input.loadFeatures(
        Scalar.self, featureNames: featureNames, columnCount: model.dimension)
      let distances = try data.distances(model, euclidean: euclidean, threadCount: threads)
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
          "euclidean": model.metric == .squaredEuclidean && euclidean,
        ])
      } else {
        print("wrote \(distances.rowCount) × \(distances.columnCount) distances to \(output)")
      }
    }
  }
}
