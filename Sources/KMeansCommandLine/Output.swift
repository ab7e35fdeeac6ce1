import ArgumentParser
import Foundation
import KMeans
import KMeansIO
import KMeansKernels

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

/// The assignment kernel this process runs on `columns`-wide rows and `clusters` centers, in
/// `Float` or not ("fused AVX-512, bfloat16 screening", "fused AVX-512", "fused AVX2", "fused
/// NEON" or "BLAS tiles + argmin"): chosen from the CPU and the shape (the bfloat16 screen
/// takes Float rows of ≥ 64 columns and ≥ 16,384 products a row), or by
/// `KMEANS_KERNEL=avx512|avx2|blas`; the JSON summaries report it as `kernel`. Every kernel
/// gives the same bits.
package func assignmentKernelName(columns: Int, clusters: Int, float: Bool) -> String {
  FusedKernel.name(dimension: columns, centers: clusters, float: float)
}

/// The most memory this process has held resident so far, in bytes (`getrusage`'s
/// `ru_maxrss`): what the JSON summaries report as `peakResidentBytes`, and what the memory
/// bound tests read from a child process.
package func peakResidentBytes() -> Int {
  #if canImport(Glibc)
    let rusageSelf = RUSAGE_SELF.rawValue  // an enum on Glibc, an Int32 on Darwin
  #else
    let rusageSelf = RUSAGE_SELF
  #endif
  var usage = rusage()
  // Safety: getrusage fills the one rusage it is given, during the call.
  guard getrusage(rusageSelf, &usage) == 0 else { return 0 }
  #if canImport(Darwin)
    return Int(usage.ru_maxrss)  // bytes on Darwin
  #else
    return Int(usage.ru_maxrss) * 1024  // KiB on Linux
  #endif
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
  // BLAS runs on our workers' threads: its idle server threads, spinning from start-up,
  // would take a core from the run. Nothing else has started yet, so they can be stopped.
  BLASLibrary.stopIdleThreads()
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
    try VecsFile.write(labels, to: path)
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
    try VecsFile.write(centers, to: path)
  } else {
    try NumPyFile.write(centers, to: path)
  }
}
