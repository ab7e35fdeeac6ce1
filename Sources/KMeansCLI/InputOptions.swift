import ArgumentParser
import Foundation
import KMeans
import KMeansIO

/// How the data file is read: shared by every subcommand.
struct InputOptions: ParsableArguments {
  @Argument(help: "The data: a CSV file (header optional) or a NumPy .npy file (2-D).")
  var data: String

  @Option(
    help: ArgumentHelp(
      "Feature columns of a CSV file, by name or 0-based index, comma-separated.",
      discussion: "Default: every column except the --label-column."),
    transform: { $0.split(separator: ",").map { CSVColumn(String($0)) } })
  var columns: [CSVColumn]?

  @Option(help: "A CSV column of true labels: left out of the features, used to report agreement.")
  var labelColumn: String?

  @Flag(
    inversion: .prefixedNo,
    help: "Whether the CSV file's first line is a header (default: detected).")
  var header: Bool?

  /// The features, and the labels when a label column was named.
  func load<Scalar: KMeansScalar>(_: Scalar.Type) throws -> (Matrix<Scalar>, [String]?) {
    if data.lowercased().hasSuffix(".npy") {
      if columns != nil || labelColumn != nil {
        throw ValidationError("--columns and --label-column apply to CSV files only")
      }
      return (try NumPyFile.readMatrix(data, as: Scalar.self), nil)
    }
    var options = CSVReadOptions()
    options.columns = columns
    options.labelColumn = labelColumn.map(CSVColumn.init)
    options.hasHeader = header
    let dataset = try CSVReader.read(data, options: options, as: Scalar.self)
    return (dataset.matrix, dataset.labels)
  }
}

/// Output-format options shared by every subcommand.
struct OutputOptions: ParsableArguments {
  @Flag(help: "Print a machine-readable JSON summary on standard output.")
  var json = false
}

/// Writes `object` as pretty JSON to standard output.
func printJSON(_ object: [String: Any]) throws {
  let data = try JSONSerialization.data(
    withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  print(String(decoding: data, as: UTF8.self))
}

/// Writes a line to standard error.
func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Cluster sizes in label order.
func clusterSizes(_ labels: [Int], clusterCount: Int) -> [Int] {
  var sizes = [Int](repeating: 0, count: clusterCount)
  for label in labels { sizes[label] += 1 }
  return sizes
}

/// Runs `body`, turning a ``KMeansError`` into a message on standard error and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as KMeansError {
    printError("Error: \(error)")
    throw ExitCode.failure
  }
}
