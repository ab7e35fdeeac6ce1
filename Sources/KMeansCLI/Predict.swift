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

  /// `kmeans score`: Σ distance to the nearest center.
  struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print the sum of distances from each row to its nearest center.",
      discussion: """
        The score is TensorFlow's (squared Euclidean or 1 − cos, summed); scikit-learn's \
        score is its negative.

        Example:
          kmeans score --model digits.json Data/digits.csv --label-column digit
        """)

    @Option(help: "A model saved by 'kmeans train'.")
    var model: String

    @OptionGroup var input: InputOptions

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
      try reportingErrors {
        switch try ModelFile.load(model) {
        case .float(let model): try score(model)
        case .double(let model): try score(model)
        }
      }
    }

    func score<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) throws {
      let (data, _) = try input.load(Scalar.self)
      let score = try model.score(data, threadCount: threads)
      if outputOptions.json {
        try printJSON(["rows": data.rowCount, "score": score])
      } else {
        print(String(format: "%.6f", score))
      }
    }
  }

  /// `kmeans transform`: every distance to every center.
  struct Transform: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write the distance from every row to every center (rows × clusters).",
      discussion: """
        Distances are in the model's metric: squared Euclidean, or 1 − cos. This is the one \
        command whose output grows as rows × clusters.

        Example:
          kmeans transform --model digits.json Data/digits.csv --label-column digit --output distances.npy
        """)

    @Option(help: "A model saved by 'kmeans train'.")
    var model: String

    @OptionGroup var input: InputOptions

    @Option(name: .shortAndLong, help: "Write the distances to this .npy or .csv file.")
    var output: String

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func run() throws {
      try reportingErrors {
        switch try ModelFile.load(model) {
        case .float(let model): try transform(model)
        case .double(let model): try transform(model)
        }
      }
    }

    func transform<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) throws {
      let (data, _) = try input.load(Scalar.self)
      let distances = try model.transform(data, threadCount: threads)
      if output.lowercased().hasSuffix(".npy") {
        try NumPyFile.write(distances, to: output)
      } else {
        var text = (0..<model.clusterCount).map { "cluster\($0)" }.joined(separator: ",") + "\n"
        for row in 0..<distances.rowCount {
          text += distances.row(row).map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: output)
      }
      print("wrote \(distances.rowCount) × \(distances.columnCount) distances to \(output)")
    }
  }
}
