import ArgumentParser
import Foundation
import KMeans
import KMeansIO

extension KMeansCommand {
  /// `kmeans score`: Σ distance to the nearest center.
  struct Score: ParsableCommand, ModelCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print the sum of distances from each row to its nearest center.",
      discussion: """
        The score is TensorFlow's (squared Euclidean or 1 − cos, summed); scikit-learn's \
        score is its negative.

        Example:
          kmeans score --model digits.json Data/digits.csv --label-column digit
        """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var input: InputOptions

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws { try runWithModel() }

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      try score(model, featureNames: featureNames)
    }

    func score<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      let (data, _) = try input.load(Scalar.self, featureNames: featureNames)
      let score = try model.score(data, threadCount: threads)
      if outputOptions.json {
        try printJSON(["rows": data.rowCount, "score": score])
      } else {
        print(String(format: "%.6f", score))
      }
    }
  }
}
