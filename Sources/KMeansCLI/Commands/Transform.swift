import ArgumentParser
import Foundation
import KMeans
import KMeansIO

extension KMeansCommand {
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
