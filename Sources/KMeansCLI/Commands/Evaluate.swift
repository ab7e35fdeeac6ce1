import ArgumentParser
import Foundation
import KMeans
import KMeansIO

extension KMeansCommand {
  /// `kmeans evaluate`: TensorFlow's evaluate: the score, and agreement with true labels.
  struct Evaluate: ParsableCommand, ModelCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score a model on a data set: Σ distances, cluster sizes, agreement with labels.",
      discussion: """
        The score is TensorFlow's (Σ distance to the nearest center); with --label-column the \\
        adjusted Rand index against the true labels is printed too.

        Examples:
          kmeans evaluate --model-dir runs/digits Data/digits.csv --label-column digit
          kmeans evaluate --model digits.json Data/digits.csv --label-column digit --json
        """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var input: InputOptions

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws { try runWithModel() }

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      try evaluate(model, featureNames: featureNames)
    }

    func evaluate<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, featureNames: [String]?)
      throws
    {
      let (data, trueLabels) = try input.load(Scalar.self, featureNames: featureNames)
      let (labels, distances) = try model.predictWithDistances(data, threadCount: threads)
      let score = distances.reduce(0.0) { $0 + Double($1) }
      let sizes = clusterSizes(labels, clusterCount: model.clusterCount)
      let agreement = trueLabels.map { ClusteringAgreement.adjustedRandIndex($0, labels) }
      if outputOptions.json {
        var summary: [String: Any] = [
          "rows": data.rowCount, "score": score, "clusterSizes": sizes,
          "globalStep": model.iterationCount,
        ]
        if let agreement { summary["adjustedRandIndex"] = agreement }
        try printJSON(summary)
        return
      }
      print("rows:        \(data.rowCount)")
      print("score:       \(String(format: "%.6f", score)) (Σ distance to the nearest center)")
      print("sizes:       \(sizes.map(String.init).joined(separator: " "))")
      if let agreement, let column = input.labelColumn {
        print(
          "agreement:   adjusted Rand index \(String(format: "%.4f", agreement)) against '\(column)'"
        )
      }
    }
  }
}
