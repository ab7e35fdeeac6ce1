import ArgumentParser
import Foundation
import KMeans
import KMeansIO

extension KMeansCommand {
  /// `kmeans train`: fits a model and saves it.
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Cluster a data set and save the model.",
      discussion: """
        Prints the inertia, the iterations, the cluster sizes and, with --label-column, the \
        adjusted Rand index against the true labels.

        Examples:
          kmeans train Data/digits.csv -k 10 --label-column digit
          kmeans train points.npy -k 256 --init random --seed 7 --output model.json --verbose
          kmeans train Data/iris.csv -k 3 --label-column species --metric cosine --json
        """)

    @OptionGroup var input: InputOptions

    @Option(name: .short, help: "The number of clusters (not needed with --init CENTERS.npy).")
    var k: Int?

    @Option(name: .shortAndLong, help: "Where to save the model (JSON).")
    var output: String?

    @Option(
      name: .customLong("init"),
      help: ArgumentHelp(
        "kmeans++, random, or a .npy file of initial centers (k × columns).",
        valueName: "method|CENTERS.npy"))
    var initialization: String = "kmeans++"

    @Option(
      help: "Greedy k-means++ retries (TensorFlow's num_retries; negative: 2+ln k candidates).")
    var kmeansPlusPlusRetries: Int = -1

    @Option(help: "euclidean (squared Euclidean) or cosine.")
    var metric: MetricArgument = .euclidean

    @Option(help: "The most iterations per run.")
    var maxIter: Int = 300

    @Option(help: "Center-shift tolerance, relative to the mean feature variance (0: off).")
    var tol: Double = 1e-4

    @Option(help: "Stop when |L − L₋₁| / (1 + |L₋₁|) falls below this (TensorFlow's rule).")
    var relativeTolerance: Double?

    @Option(help: "Restarts from different seeds; the lowest inertia wins.")
    var nInit: Int = 1

    @Option(help: "The random seed.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    @Flag(help: "Compute in Double instead of Float.")
    var float64 = false

    @Option(help: "Also write the training labels (.npy or .csv).")
    var labelsOutput: String?

    @Flag(help: "Print one line per iteration to standard error.")
    var verbose = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      if let k, k <= 0 { throw ValidationError("-k must be at least 1, got \(k)") }
      if k == nil && !initialization.hasSuffix(".npy") {
        throw ValidationError("give the number of clusters with -k, or --init CENTERS.npy")
      }
    }

    func run() throws {
      try reportingErrors {
        if float64 { try train(Double.self) } else { try train(Float.self) }
      }
    }

    func train<Scalar: KMeansScalar>(_: Scalar.Type) throws {
      let (data, trueLabels) = try input.load(Scalar.self)
      var configuration = KMeansConfiguration(clusterCount: k ?? 0)
      switch initialization {
      case "kmeans++", "k-means++":
        configuration.initialization = .kMeansPlusPlus(retries: kmeansPlusPlusRetries)
      case "random": configuration.initialization = .random
      default:
        let centers = try NumPyFile.readMatrix(initialization, as: Double.self)
        if let k, k != centers.rowCount {
          throw ValidationError(
            "-k \(k) disagrees with the \(centers.rowCount) centers in \(initialization)")
        }
        configuration.initialization = .centers(centers)
      }
      configuration.metric = metric.metric
      configuration.maxIterations = maxIter
      configuration.tolerance = tol
      configuration.relativeTolerance = relativeTolerance
      configuration.restarts = nInit
      configuration.seed = seed
      configuration.threadCount = threads
      let verbose = self.verbose
      let started = Date()
      let result = try KMeansModel.fit(data, configuration: configuration) { record in
        if verbose {
          printError(
            String(
              format: "iteration %d (%.3f s): loss=%.6g shift=%.3g changed=%d relocated=%d",
              record.iteration, record.seconds, record.loss, record.centerShift,
              record.changedLabels, record.relocatedClusters))
        }
      }
      let seconds = Date().timeIntervalSince(started)
      if let output { try ModelFile.save(result.model, to: output) }
      if let labelsOutput { try writeLabels(result.labels, to: labelsOutput) }
      let model = result.model
      let sizes = clusterSizes(result.labels, clusterCount: model.clusterCount)
      let agreement = trueLabels.map { ClusteringAgreement.adjustedRandIndex($0, result.labels) }
      if outputOptions.json {
        var summary: [String: Any] = [
          "rows": data.rowCount, "columns": data.columnCount, "clusters": model.clusterCount,
          "inertia": model.inertia, "iterations": model.iterationCount,
          "stopReason": model.stopReason.rawValue, "clusterSizes": sizes, "seconds": seconds,
          "dtype": Scalar.dtypeName, "metric": model.metric.rawValue,
        ]
        if let agreement { summary["adjustedRandIndex"] = agreement }
        if let output { summary["model"] = output }
        try printJSON(summary)
        return
      }
      print(
        "data:        \(input.data) (\(data.rowCount) rows × \(data.columnCount) columns, \(Scalar.dtypeName))"
      )
      print("clusters:    \(model.clusterCount) (\(model.metric.rawValue))")
      print("inertia:     \(String(format: "%.6f", model.inertia))")
      print(
        "iterations:  \(model.iterationCount) (stopped: \(model.stopReason.rawValue)), \(String(format: "%.3f", seconds)) s"
      )
      print("sizes:       \(sizes.map(String.init).joined(separator: " "))")
      if let agreement, let column = input.labelColumn {
        print(
          "agreement:   adjusted Rand index \(String(format: "%.4f", agreement)) against '\(column)'"
        )
      }
      if let output { print("model:       \(output)") }
    }
  }
}

/// The distance names the CLI accepts.
enum MetricArgument: String, ExpressibleByArgument, CaseIterable {
  case euclidean, cosine

  var metric: DistanceMetric { self == .cosine ? .cosine : .squaredEuclidean }
}
