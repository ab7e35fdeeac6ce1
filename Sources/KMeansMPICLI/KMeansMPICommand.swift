import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansEstimator
import KMeansIO
import KMeansMPI

/// `kmeans-mpi`: one rank of a distributed k-means job; start it with `mpirun`.
@main
struct KMeansMPICommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kmeans-mpi",
    abstract: "Distributed k-means over MPI ranks (start it with mpirun).",
    discussion: """
      The same training options as 'kmeans train' (one engine); every input format, sharded by \
      rows. Build with the MPI trait: swift build -c release --traits MPI --product kmeans-mpi \
      (needs libopenmpi-dev).

      Examples:
        mpirun -np 4 kmeans-mpi train data.npy -k 256 --output model.json
        mpirun -np 4 kmeans-mpi train data.npy -k 256 --init kmeans|| --algorithm hamerly
        mpirun -np 2 kmeans-mpi train customers.csv -k 8 --weight-column visits --mini-batch
        mpirun --hostfile hosts -np 8 kmeans-mpi train data.npy -k 256 --model-dir runs/big --steps 50
        mpirun -np 2 kmeans-mpi bench-allreduce --doubles 65536
      """,
    version: "\(KMeansLibrary.version)",
    subcommands: [Train.self, BenchAllreduce.self]
  )

  /// Tunes the process (``ProcessTuning``), then parses the arguments and runs the command.
  static func main() {
    ProcessTuning.reuseLargeAllocations()
    main(nil)
  }
}

extension KMeansMPICommand {
  /// `kmeans-mpi train`.
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train on a data file sharded across the ranks; rank 0 reports and writes.",
      discussion: """
        Takes the options of 'kmeans train' from the same option groups (the same engine: \
        every seeding, both metrics, weights, Hamerly's and Yinyang's bounds, mini-batch, \
        restarts; the same model-directory run, with the same checks and refusals), except \
        --stream and --bisecting; and every input format: .npy and .fvecs files are read only \
        where each rank's rows are; CSV, svmlight and .npz files are parsed by every rank, \
        which keeps its rows.
        """)

    @OptionGroup var input: InputOptions

    @Option(name: .short, help: "The number of clusters (not needed with --init CENTERS.npy).")
    var k: Int?

    @OptionGroup var results: TrainingOutputOptions

    @OptionGroup var training: TrainingOptions

    @OptionGroup(title: "Model directory (TensorFlow checkpoints; rank 0 writes)")
    var estimator: EstimatorOptions

    @OptionGroup var outputOptions: OutputOptions

    @Option(help: "Seconds a collective may wait for the other ranks before the job ends.")
    var timeout: Double = 120

    func validate() throws {
      if let k, k <= 0 { throw ValidationError("-k must be at least 1, got \(k)") }
      if let seedingSample = training.seedingSample, seedingSample < (k ?? 1) {
        throw ValidationError("--seeding-sample \(seedingSample) must be at least k")
      }
      if k == nil && !training.givesCenters {
        throw ValidationError("give the number of clusters with -k, or --init CENTERS.npy")
      }
      try estimator.validate()
      if estimator.modelDir == nil && (estimator.steps != nil || estimator.maxSteps != nil) {
        throw ValidationError("--steps and --max-steps need --model-dir")
      }
      if !(timeout > 0) { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
      #if MPI
        if training.float64 { try train(Double.self) } else { try train(Float.self) }
      #else
        FileHandle.standardError.write(
          Data(
            "kmeans-mpi was built without MPI: swift build --traits MPI --product kmeans-mpi\n".utf8
          ))
        throw ExitCode.failure
      #endif
    }

    #if MPI
      func train<Scalar: KMeansScalar>(_: Scalar.Type) throws {
        let communicator = try MPICommunicator(timeout: timeout)
        do {
          try train(Scalar.self, communicator: communicator)
        } catch {
          let message =
            "\(error)".hasPrefix("rank ") ? "\(error)" : "rank \(communicator.rank): \(error)"
          FileHandle.standardError.write(Data("kmeans-mpi: \(message)\n".utf8))
          communicator.abort(code: 1)
        }
      }

      func train<Scalar: KMeansScalar>(_: Scalar.Type, communicator: MPICommunicator) throws {
        let configuration = try training.configuration(k: k)
        let shard = try input.loadShard(
          Scalar.self, rank: communicator.rank, count: communicator.size,
          weightOptions: training.weightOptions)
        var job = DistributedJob<Scalar>(
          shard: .init(shard.features.trainingRows, weights: shard.weights),
          rowOffset: shard.rowOffset, dimension: shard.features.columnCount,
          configuration: configuration)
        job.modelDirectory = estimator.modelDir
        job.directorySettings = estimator.settings(clustering: configuration)
        job.steps = estimator.steps
        job.maxSteps = estimator.maxSteps
        if communicator.rank == 0 && results.verbose {
          // Rank 0 reports each step as it ends (the loss and counts are global).
          job.observer = TrainingObserver(progress: { record in
            printError(
              String(
                format: "iteration %d (%.3f s): loss=%.6g shift=%.3g changed=%d relocated=%d",
                record.iteration, record.seconds, record.loss, record.centerShift,
                record.changedLabels, record.relocatedClusters))
          })
        }
        if let modelDir = estimator.modelDir, let resumeFrom = estimator.resumeFrom {
          // Rank 0 rolls the directory back; every rank then reads the same latest checkpoint.
          if communicator.rank == 0 {
            try ModelDirectory.rollBack(directory: modelDir, to: resumeFrom, as: Scalar.self)
          }
          try communicator.barrier()
        }
        let started = Date()
        let outcome = try job.run(
          collectives: communicator, gatherLabels: results.labelsOutput != nil)
        let seconds = Date().timeIntervalSince(started)
        guard communicator.rank == 0 else { return }
        try write(outcome)
        let rowsPerRank = (0..<communicator.size).map {
          shardRange(rank: $0, count: communicator.size, totalRows: shard.totalRows).count
        }
        try report(outcome, rows: shard.totalRows, rowsPerRank: rowsPerRank, seconds: seconds)
      }

      /// Rank 0 writes the model, the labels and the centers asked for.
      func write<Scalar: KMeansScalar>(_ outcome: DistributedJob<Scalar>.Outcome) throws {
        let model = outcome.result.model
        if let output = results.output { try ModelFile.write(model, to: output) }
        if let labelsOutput = results.labelsOutput, let labels = outcome.allLabels {
          try writeLabels(labels, to: labelsOutput)
        }
        if let centersOutput = results.centersOutput {
          try writeCenters(model.centers, to: centersOutput)
        }
      }

      /// Rank 0's summary: text, or JSON with --json.
      func report<Scalar: KMeansScalar>(
        _ outcome: DistributedJob<Scalar>.Outcome, rows: Int, rowsPerRank: [Int], seconds: Double
      ) throws {
        let model = outcome.result.model
        let perIteration = model.iterationStatistics.map(\.seconds)
        if outputOptions.json {
          var summary: [String: Any] = [
            "ranks": rowsPerRank.count, "rows": rows, "rowsPerRank": rowsPerRank,
            "clusters": model.clusterCount, "inertia": model.inertia,
            "iterations": model.iterationCount, "stopReason": model.stopReason.rawValue,
            "seconds": seconds,
            "secondsPerIteration": perIteration.isEmpty
              ? 0 : perIteration.reduce(0, +) / Double(perIteration.count),
          ]
          if let resumed = outcome.resumedFromStep { summary["resumedFromStep"] = resumed }
          try printJSON(summary)
          return
        }
        print(
          "ranks:       \(rowsPerRank.count) (rows per rank: \(rowsPerRank.map(String.init).joined(separator: " ")))"
        )
        if let resumed = outcome.resumedFromStep { print("resumed:     from step \(resumed)") }
        print("inertia:     \(String(format: "%.6f", model.inertia))")
        print(
          "iterations:  \(model.iterationCount) (stopped: \(model.stopReason.rawValue)), \(String(format: "%.3f", seconds)) s"
        )
        if let report = outcome.report, let directory = estimator.modelDir {
          let steps = report.checkpointSteps.map(String.init).joined(separator: " ")
          print(
            "model dir:   \(directory) (steps \(report.startStep) → \(report.finalStep), checkpoints at \(steps))"
          )
        }
        if let output = results.output { print("model:       \(output)") }
      }
    #endif
  }

  /// `kmeans-mpi bench-allreduce`: the allreduce time of the scaling model.
  struct BenchAllreduce: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Time MPI_Allreduce of N doubles (k·d + k + 2 per Lloyd iteration).")

    @Option(help: "Doubles per allreduce.")
    var doubles: Int = 65_536

    @Option(help: "Repetitions (the median is printed).")
    var repeats: Int = 50

    func run() throws {
      #if MPI
        let communicator = try MPICommunicator()
        var values = [Double](repeating: 1, count: doubles)
        var times: [Double] = []
        for _ in 0..<repeats {
          try communicator.barrier()
          let start = Date()
          try communicator.allReduceSum(&values)
          times.append(Date().timeIntervalSince(start))
        }
        times.sort()
        if communicator.rank == 0 {
          print(
            String(
              format: "ranks %d, %d doubles (%.1f KiB): median %.1f µs, min %.1f µs",
              communicator.size,
              doubles, Double(doubles * 8) / 1024, times[times.count / 2] * 1e6, times[0] * 1e6))
        }
      #else
        FileHandle.standardError.write(Data("kmeans-mpi was built without MPI\n".utf8))
        throw ExitCode.failure
      #endif
    }
  }
}
