import ArgumentParser
import Foundation
import KMeans
import KMeansIO

extension KMeansCommand {
  /// `kmeans predict`: the nearest center of each row.
  struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Assign each row of a data set to its nearest center.",
      discussion: """
        Without --output, prints one cluster index per line.

        Example:
          kmeans predict --model digits.json Data/digits.csv --label-column digit --output labels.npy
        """)

    @Option(help: "A model saved by 'kmeans train'.")
    var model: String

    @OptionGroup var input: InputOptions

    @Option(name: .shortAndLong, help: "Write the labels to this .npy (int32) or .csv file.")
    var output: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
      try reportingErrors {
        switch try ModelFile.load(model) {
        case .float(let model): try predict(model)
        case .double(let model): try predict(model)
        }
      }
    }

    func predict<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) throws {
      let (data, trueLabels) = try input.load(Scalar.self)
      let labels = try model.predict(data, threadCount: threads)
      let agreement = trueLabels.map { ClusteringAgreement.adjustedRandIndex($0, labels) }
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
