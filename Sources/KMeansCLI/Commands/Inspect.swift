import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansEstimator
import KMeansIO

extension KMeansCommand {
  /// `kmeans inspect`: what a model directory holds.
  struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a model directory: checkpoints kept, the latest one's variables, metadata.",
      discussion: """
        Works on directories written by 'kmeans train --model-dir' and by TensorFlow. Every \
        kept checkpoint is read and checked (CRC32C); a damaged one is named with its file and \
        byte offset, with the newest sound checkpoint to resume from (--resume-from).

        Example:
          kmeans inspect runs/digits
        """)

    @Argument(help: "The model directory.")
    var directory: String

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
      try reportingErrors {
        guard let prefix = try ModelDirectory.latestCheckpoint(directory: directory) else {
          throw KMeansError.fileUnreadable(
            path: directory, reason: "no checkpoint in the model directory")
        }
        let state = try CheckpointState.read(directory: directory)
        let metadata = try ModelDirectory.metadata(directory: directory)
        try checkKept(latest: prefix)
        let reader = try TensorBundleReader(prefix: prefix)
        let variables = try Self.variables(reader)
        let step = try reader.entries["global_step"].map { _ in
          try reader.tensor("global_step").integers.first ?? 0
        }
        let latest = (prefix as NSString).lastPathComponent
        let checkpoints = state?.all ?? [latest]
        if outputOptions.json {
          var summary: [String: Any] = [
            "directory": directory, "latest": latest, "checkpoints": checkpoints,
            "variables": variables,
          ]
          if let step { summary["globalStep"] = step }
          if let metadata {
            summary["metadata"] = [
              "dtype": metadata.dtype, "metric": metadata.metric.rawValue,
              "clusters": metadata.clusterCount, "dimension": metadata.dimension,
              "stepsPerIteration": metadata.stepsPerIteration,
              "featureNames": metadata.featureNames ?? [],
            ]
          }
          try printJSON(summary)
          return
        }
        print("model directory: \(directory)")
        print("checkpoints:     \(checkpoints.joined(separator: ", ")) (latest: \(latest))")
        if let step { print("global step:     \(step)") }
        Self.printTrainer(metadata)
        print("variables of \(latest):")
        Self.printVariables(variables)
      }
    }

    /// Reads every kept checkpoint whole (each CRC checked), so that damage is reported with
    /// its file and offset, and the newest sound checkpoint is named as the way on.
    func checkKept(latest prefix: String) throws {
      let kept = try ModelDirectory.checkpoints(directory: directory)
      var damage: [String: KMeansError] = [:]
      for checkpoint in kept { damage[checkpoint] = ModelDirectory.damage(prefix: checkpoint) }
      let latestDamage =
        kept.contains(prefix) ? damage[prefix] : ModelDirectory.damage(prefix: prefix)
      guard let latestDamage else { return }
      for checkpoint in kept {
        let name = (checkpoint as NSString).lastPathComponent
        printError("  \(name): \(damage[checkpoint].map { "DAMAGED: \($0)" } ?? "sound")")
      }
      if let sound = kept.last(where: { damage[$0] == nil }) {
        let name = (sound as NSString).lastPathComponent
        printError(
          "the latest checkpoint is damaged; \(name) is sound: resume from it with 'kmeans train … --model-dir \(directory) --resume-from \(name)'"
        )
      }
      throw latestDamage
    }

    /// Each variable's name, dtype, shape and (for a scalar) value.
    static func variables(_ reader: TensorBundleReader) throws -> [[String: Any]] {
      var variables: [[String: Any]] = []
      for name in reader.names {
        guard let entry = reader.entries[name] else { continue }
        var variable: [String: Any] = [
          "name": name, "dtype": entry.dataType.description, "shape": entry.shape,
        ]
        if entry.shape.reduce(1, *) == 1 && entry.dataType != .string {
          let tensor = try reader.tensor(name)
          if entry.dataType == .float || entry.dataType == .double {
            variable["value"] = tensor.doubles.first ?? 0
          } else {
            variable["value"] = tensor.integers.first ?? 0
          }
        }
        variables.append(variable)
      }
      return variables
    }

    /// Who trained the directory, from its metadata.
    static func printTrainer(_ metadata: EstimatorMetadata?) {
      guard let metadata else {
        print(
          "trained by:      another program (no kmeans-estimator.json); read as float32, squared Euclidean"
        )
        return
      }
      let mode =
        metadata.stepsPerIteration == 0
        ? "full batch" : "mini-batch, \(metadata.stepsPerIteration) step(s) per iteration"
      print(
        "trained by:      swift-kmeans (\(metadata.dtype), \(metadata.metric.rawValue), k=\(metadata.clusterCount), d=\(metadata.dimension), \(mode))"
      )
      if let names = metadata.featureNames {
        let shown =
          names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", … (\(names.count))" : "")
        print("features:        \(shown)")
      }
    }

    static func printVariables(_ variables: [[String: Any]]) {
      for variable in variables {
        let name = (variable["name"] as? String ?? "").padding(
          toLength: 26, withPad: " ", startingAt: 0)
        let dtype = (variable["dtype"] as? String ?? "").padding(
          toLength: 8, withPad: " ", startingAt: 0)
        let shape =
          "[" + ((variable["shape"] as? [Int]) ?? []).map(String.init).joined(separator: ", ")
          + "]"
        let value = variable["value"].map { "  = \($0)" } ?? ""
        print(
          "  \(name) \(dtype) \(shape.padding(toLength: 10, withPad: " ", startingAt: 0))\(value)"
        )
      }
    }
  }
}
