import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansIO

extension KMeansCommand {
  /// `kmeans score`: Σ distance to the nearest center.
  struct Score: ParsableCommand, ModelCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print the sum of distances from each row to its nearest center.",
      discussion: """
        The score is TensorFlow's (squared Euclidean or 1 − cos, summed); scikit-learn's \
        score is its negative. With --weights or --weight-column each distance is multiplied \
        by the row's weight (scikit-learn's sample_weight).

        Example:
          kmeans score --model digits.json Data/digits.csv --label-column digit
        """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var input: InputOptions

    @OptionGroup(title: "Sample weights") var weightOptions: WeightOptions

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup var outputOptions: OutputOptions

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      try score(model, featureNames: featureNames)
    }

    func score<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      let (data, _, _, weights) = try input.loadFeatures(
        Scalar.self, weightOptions: weightOptions, featureNames: featureNames,
        columnCount: model.dimension)
      let score = try data.score(model, weights: weights, threadCount: threads)
      if outputOptions.json {
        try printJSON(["rows": data.rowCount, "score": score])
      } else {
        print(String(format: "%.6f", score))
      }
    }
  }
}
