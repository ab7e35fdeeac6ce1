import ArgumentParser
import Foundation
import KMeans
import KMeansIO

/// Output-format options shared by every subcommand.
package struct OutputOptions: ParsableArguments {
  package init() {}

  @Flag(help: "Print a machine-readable JSON summary on standard output.")
  package var json = false
}

/// Writes `object` as pretty JSON to standard output.
package func printJSON(_ object: [String: Any]) throws {
  let data = try JSONSerialization.data(
    withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  print(String(decoding: data, as: UTF8.self))
}

/// Writes a line to standard error.
package func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Cluster sizes in label order.
package func clusterSizes(_ labels: [Int], clusterCount: Int) -> [Int] {
  var sizes = [Int](repeating: 0, count: clusterCount)
  for label in labels { sizes[label] += 1 }
  return sizes
}

/// Runs `body`, turning a ``KMeansError`` into a message on standard error and exit code 1.
package func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as KMeansError {
    printError("Error: \(error)")
    throw ExitCode.failure
  }
}

/// Writes labels as `.npy` (int32), `.ivecs`, or a one-column CSV with a `cluster` header.
package func writeLabels(_ labels: [Int], to path: String) throws {
  if path.lowercased().hasSuffix(".ivecs") {
    try VecsFile.writeIvecs(labels, to: path)
  } else if path.lowercased().hasSuffix(".npy") {
    try NumPyFile.write(labels, as: .int32, to: path)
  } else {
    let text = "cluster\n" + labels.map(String.init).joined(separator: "\n") + "\n"
    try AtomicFile.write(Data(text.utf8), to: path)
  }
}

/// Writes centers as `.fvecs` or `.npy` (in their own precision).
package func writeCenters<Scalar: KMeansScalar>(_ centers: Matrix<Scalar>, to path: String) throws {
  if path.lowercased().hasSuffix(".fvecs") {
    try VecsFile.writeFvecs(centers, to: path)
  } else {
    try NumPyFile.write(centers, to: path)
  }
}
