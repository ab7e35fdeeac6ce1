import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansIO

extension KMeansCommand {
  /// `kmeans predict`: the nearest center of each row.
  struct Predict: ParsableCommand, ModelCommand {
    static let configuration = CommandConfiguration(
      abstract: "Assign each row of a data set to its nearest center.",
      discussion: """
        Without --output, prints one cluster index per line. With --stream the data is read a \
        batch at a time and the labels are written as they come (to an .npy file), so files \
        larger than memory work. A model trained with --bisecting assigns each row by walking \
        its tree from the root, taking the nearer child at each split.

        Examples:
          kmeans predict --model digits.json Data/digits.csv --label-column digit --output labels.npy
          kmeans predict --model big.json big.npy --stream --output big-labels.npy
        """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var input: InputOptions

    @Option(name: .shortAndLong, help: "Write the labels to this .npy (int32) or .csv file.")
    var output: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Read the data a batch at a time, in bounded memory (needs --output FILE.npy).")
    var stream = false

    @OptionGroup var outputOptions: OutputOptions

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      try predict(model, featureNames: featureNames)
    }

    func validate() throws {
      if stream && !(output?.lowercased().hasSuffix(".npy") ?? false) {
        throw ValidationError("--stream writes labels as they come: give --output LABELS.npy")
      }
    }

    func predictStreaming<Scalar: KMeansScalar>(
      _ model: KMeansModel<Scalar>, featureNames: [String]?
    ) throws {
      var options = input
      if options.columns == nil, let featureNames, !input.isSparse,
        !input.data.lowercased().hasSuffix(".npy")
      {
        options.columns = featureNames.map(CSVColumn.name)
      }
      let writer = try NumPyLabelWriter(path: output ?? "")
      let summary: StreamingKMeans.Summary
      switch try options.openStream(Scalar.self, weightOptions: nil, threadCount: threads) {
      case .dense(var source):
        summary = try StreamingKMeans.predict(&source, model: model, threadCount: threads) {
          labels, _ in try writer.append(labels)
        }
      case .sparse(var source):
        summary = try StreamingKMeans.predict(
          &source, model: model, threadCount: threads
        ) { labels, _ in try writer.append(labels) }
      }
      try writer.finish()
      if outputOptions.json {
        try printJSON([
          "rows": summary.rowCount, "clusterSizes": summary.clusterSizes, "score": summary.inertia,
          "peakResidentBytes": peakResidentBytes(),
        ])
      } else {
        print("wrote \(summary.rowCount) labels to \(output ?? "")")
      }
    }

    func predict<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, featureNames: [String]?) throws
    {
      if stream { return try predictStreaming(model, featureNames: featureNames) }
      let (data, _, trueLabels, _) = try input.loadFeatures(
        Scalar.self, featureNames: featureNames, columnCount: model.dimension)
      let labels: [Int]
      // A bisecting model predicts by walking its tree from the root.
      if let path = modelOptions.model, !path.lowercased().hasSuffix(".npy"),
        let tree = try ModelFile.readHierarchy(path, as: Scalar.self),
        let matrix = data.denseMatrix
      {
        labels = try tree.predict(matrix)
      } else {
        labels = try data.predict(model, threadCount: threads)
      }
      let agreement = try trueLabels.map { try ClusteringAgreement.adjustedRandIndex($0, labels) }
      if let output { try writeLabels(labels, to: output) }
      if outputOptions.json {
        var summary: [String: Any] = [
          "rows": data.rowCount,
          "clusterSizes": clusterSizes(labels, clusterCount: model.clusterCount),
        ]
        if let agreement { summary["adjustedRandIndex"] = agreement }
        if output == nil { summary["labels"] = labels }
        try printJSON(summary)
      } else if output == nil {
        print(labels.map(String.init).joined(separator: "\n"))
      } else {
        print("wrote \(labels.count) labels to \(output ?? "")")
        if let agreement { print("adjusted Rand index: \(String(format: "%.4f", agreement))") }
      }
    }
  }
}
