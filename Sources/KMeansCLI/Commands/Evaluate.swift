import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansEstimator
import KMeansIO

extension KMeansCommand {
  /// `kmeans evaluate`: TensorFlow's evaluate: the score, and agreement with true labels.
  struct Evaluate: ParsableCommand, ModelCommand {
    static let configuration = CommandConfiguration(
      abstract: "Evaluate a model on data: sizes, score, internal metrics, agreement with labels.",
      discussion: """
        Prints the cluster sizes, the score (TensorFlow's: Σ distance to the nearest center), \
        the silhouette (exact up to --silhouette-sample rows, sampled above), Calinski–Harabasz \
        and Davies–Bouldin; with --label-column (or --labels) also the adjusted Rand index and \
        the normalized mutual information against the true labels.

        With --model-dir, the figures are also written as TensorBoard summaries at the \
        checkpoint's global step into the directory's eval/ folder (eval_NAME/ with --name), \
        where TensorBoard shows them beside the training curves, as TensorFlow's evaluate does.

        Examples:
          kmeans evaluate --model-dir runs/digits Data/digits.csv --label-column digit
          kmeans evaluate --model-dir runs/digits held-out.csv --name held_out
          kmeans evaluate --model digits.json Data/digits.csv --label-column digit --json
          kmeans evaluate --model topics.json tfidf.svmlight --silhouette-sample 2000
        """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var input: InputOptions

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Rows above which the silhouette is taken on a seeded sample of this many.")
    var silhouetteSample: Int = 10_000

    @OptionGroup(title: "Sample weights (weigh the score)") var weightOptions: WeightOptions

    @Option(
      help: ArgumentHelp(
        "Name the evaluation: its summaries go to eval_NAME/ of the model directory (default: eval/).",
        valueName: "name"))
    var name: String?

    @Flag(help: "With --model-dir: write no summaries into the directory.")
    var noSummary = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      if name != nil && modelOptions.modelDir == nil {
        throw ValidationError("--name needs --model-dir (it names the directory's eval_NAME/)")
      }
    }

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      let (data, _, trueLabels, weights) = try input.loadFeatures(
        Scalar.self, weightOptions: weightOptions, featureNames: featureNames,
        columnCount: model.dimension)
      let labels = try data.predict(model, threadCount: threads)
      let score = try data.score(model, weights: weights, threadCount: threads)
      let sizes = clusterSizes(labels, clusterCount: model.clusterCount)
      let agreement = try trueLabels.map { try ClusteringAgreement.adjustedRandIndex($0, labels) }
      let information = try trueLabels.map {
        try ClusteringAgreement.normalizedMutualInformation($0, labels)
      }
      let used = sizes.filter { $0 > 0 }.count
      let quality =
        used >= 2 && used < data.rowCount
        ? try Self.quality(
          data, labels: labels, metric: model.metric,
          sample: data.rowCount > silhouetteSample ? silhouetteSample : nil, threads: threads)
        : nil
      var events: String? = nil
      if let directory = modelOptions.modelDir, !noSummary {
        var values = ["score": score, "loss": score]
        values["silhouette"] = quality?.silhouette
        values["calinski_harabasz"] = quality?.ch
        values["davies_bouldin"] = quality?.db
        values["adjusted_rand_index"] = agreement
        values["normalized_mutual_information"] = information
        events = try ModelDirectory.writeEvaluationSummary(
          values, directory: directory, name: name, globalStep: Int64(model.iterationCount))
      }
      if outputOptions.json {
        var summary: [String: Any] = [
          "rows": data.rowCount, "score": score, "clusterSizes": sizes,
          "globalStep": model.iterationCount,
        ]
        if let quality {
          summary["silhouette"] = quality.silhouette
          summary["calinskiHarabasz"] = quality.ch
          summary["daviesBouldin"] = quality.db
        }
        if let agreement { summary["adjustedRandIndex"] = agreement }
        if let information { summary["normalizedMutualInformation"] = information }
        if let events { summary["summaries"] = events }
        try printJSON(summary)
        return
      }
      print("rows:        \(data.rowCount)")
      print("sizes:       \(sizes.map(String.init).joined(separator: " "))")
      print("score:       \(String(format: "%.6f", score)) (Σ distance to the nearest center)")
      if let quality {
        print(
          String(
            format: "metrics:     silhouette %.4f, Calinski–Harabasz %.2f, Davies–Bouldin %.4f",
            quality.silhouette, quality.ch, quality.db))
      }
      if let agreement, let information, let column = input.labelColumn {
        print(
          String(
            format:
              "agreement:   adjusted Rand index %.4f, normalized mutual information %.4f against '%@'",
            agreement, information, column))
      }
      if let events { print("summaries:   \(events) (step \(model.iterationCount))") }
    }

    /// The silhouette (on a sample of `sample` rows when given), Calinski–Harabasz and
    /// Davies–Bouldin indices of `labels`.
    static func quality<Scalar: KMeansScalar>(
      _ data: Features<Scalar>, labels: [Int], metric: DistanceMetric, sample: Int?,
      threads: Int?
    ) throws -> (silhouette: Double, ch: Double, db: Double) {
      (
        try ClusteringMetrics.silhouette(
          data, labels: labels, metric: metric, sampleSize: sample, threadCount: threads),
        try ClusteringMetrics.calinskiHarabasz(data, labels: labels),
        try ClusteringMetrics.daviesBouldin(data, labels: labels)
      )
    }
  }
}
