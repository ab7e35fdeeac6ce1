import ArgumentParser
import Foundation
import KMeans
import KMeansIO
import KMeansMPI

/// `kmeans-mpi`: one rank of a distributed k-means job; start it with `mpirun`.
@main
struct KMeansMPICommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kmeans-mpi",
    abstract: "Distributed k-means over MPI ranks (start it with mpirun).",
    discussion: """
      Every rank reads only its own rows of the .npy file. Build with the MPI trait: \
      swift build -c release --traits MPI --product kmeans-mpi (needs libopenmpi-dev).

      Examples:
        mpirun -np 4 kmeans-mpi train data.npy -k 256 --output model.json
        mpirun --hostfile hosts -np 8 kmeans-mpi train data.npy -k 256 --model-dir runs/big
        mpirun -np 2 kmeans-mpi bench-allreduce --doubles 65536
      """,
    subcommands: [Train.self, BenchAllreduce.self]
  )
}

extension KMeansMPICommand {
  /// `kmeans-mpi train`.
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train on a .npy file sharded across the ranks; rank 0 reports and writes.")

    @Argument(help: "The data: a 2-D .npy file that every rank can open.")
    var data: String

    @Option(name: .short, help: "The number of clusters (not needed with --init CENTERS.npy).")
    var k: Int?

    @Option(
      name: .customLong("init"),
      help: ArgumentHelp(
        "kmeans||, kmeans++ (on a gathered sample) or CENTERS.npy.", valueName: "method"))
    var initialization: String = "kmeans||"

    @Option(help: "k-means|| rounds.")
    var rounds: Int = 5

    @Option(help: "k-means|| oversampling factor ℓ (default 2k).")
    var oversampling: Double?

    @Option(help: "Rows gathered for --init kmeans++.")
    var sampleSize: Int = 100_000

    @Option(help: "euclidean or cosine.")
    var metric: String = "euclidean"

    @Option(help: "The most iterations.")
    var maxIter: Int = 300

    @Option(help: "Center-shift tolerance, relative to the mean feature variance (0: off).")
    var tol: Double = 1e-4

    @Option(help: "Stop when |L − L₋₁| / (1 + |L₋₁|) falls below this.")
    var relativeTolerance: Double?

    @Option(help: "The random seed.")
    var seed: UInt64 = 0

    @Option(help: "Threads per rank (default: all cores).")
    var threads: Int?

    @Flag(help: "Compute in Double instead of Float.")
    var float64 = false

    @Option(help: "Model directory: rank 0 writes TensorFlow checkpoints; a rerun resumes from it.")
    var modelDir: String?

    @Option(help: "Checkpoint every this many iterations.")
    var checkpointEvery: Int = 10

    @Option(help: "Seconds a collective may wait for the other ranks before the job ends.")
    var timeout: Double = 120

    @Option(name: .shortAndLong, help: "Rank 0 writes the model (JSON) here.")
    var output: String?

    @Option(help: "Rank 0 writes every row's label (.npy) here.")
    var labelsOutput: String?

    @Flag(help: "Rank 0 prints one line per iteration to standard error.")
    var verbose = false

    @Flag(help: "Rank 0 prints a JSON summary.")
    var json = false

    func run() throws {
      #if MPI
        if float64 { try train(Double.self) } else { try train(Float.self) }
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
        var configuration = KMeansConfiguration(clusterCount: k ?? 0)
        configuration.metric = metric == "cosine" ? .cosine : .squaredEuclidean
        configuration.maxIterations = maxIter
        configuration.tolerance = tol
        configuration.relativeTolerance = relativeTolerance
        configuration.seed = seed
        configuration.threadCount = threads
        let seeding: DistributedInitialization
        switch initialization {
        case "kmeans||", "k-means||":
          seeding = .kMeansParallel(
            rounds: rounds, oversampling: oversampling ?? Double(2 * (k ?? 1)))
        case "kmeans++", "k-means++":
          seeding = .kMeansPlusPlusOnSample(sampleSize: sampleSize)
        default:
          let centers = try NumPyFile.readMatrix(initialization, as: Double.self)
          configuration.clusterCount = centers.rowCount
          configuration.initialization = .centers(centers)
          seeding = .centers(centers)
        }
        var job = DistributedJob<Scalar>(
          dataPath: data, configuration: configuration, initialization: seeding)
        job.modelDirectory = modelDir
        job.checkpointEvery = checkpointEvery
        let started = Date()
        let outcome = try job.run(collectives: communicator, gatherLabels: labelsOutput != nil)
        let seconds = Date().timeIntervalSince(started)
        guard communicator.rank == 0 else { return }
        let model = outcome.result.model
        if verbose {
          for record in model.iterationStatistics {
            FileHandle.standardError.write(
              Data(
                String(
                  format: "iteration %d (%.3f s): loss=%.6g shift=%.3g changed=%d relocated=%d\n",
                  record.iteration, record.seconds, record.loss, record.centerShift,
                  record.changedLabels, record.relocatedClusters
                ).utf8))
          }
        }
        if let output { try ModelFile.save(model, to: output) }
        if let labelsOutput, let labels = outcome.allLabels {
          try NumPyFile.write(labels, as: .int32, to: labelsOutput)
        }
        let perIteration = model.iterationStatistics.map(\.seconds)
        if json {
          var summary: [String: Any] = [
            "ranks": communicator.size, "rows": outcome.plan.totalRows,
            "rowsPerRank": (0..<communicator.size).map { outcome.plan.rows(of: $0).count },
            "clusters": model.clusterCount, "inertia": model.inertia,
            "iterations": model.iterationCount, "stopReason": model.stopReason.rawValue,
            "seconds": seconds,
            "secondsPerIteration": perIteration.isEmpty
              ? 0 : perIteration.reduce(0, +) / Double(perIteration.count),
          ]
          if let resumed = outcome.resumedFromStep { summary["resumedFromStep"] = resumed }
          let data = try JSONSerialization.data(
            withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
          print(String(decoding: data, as: UTF8.self))
        } else {
          print(
            "ranks:       \(communicator.size) (rows per rank: \((0..<communicator.size).map { String(outcome.plan.rows(of: $0).count) }.joined(separator: " ")))"
          )
          if let resumed = outcome.resumedFromStep { print("resumed:     from step \(resumed)") }
          print("inertia:     \(String(format: "%.6f", model.inertia))")
          print(
            "iterations:  \(model.iterationCount) (stopped: \(model.stopReason.rawValue)), \(String(format: "%.3f", seconds)) s"
          )
          if let output { print("model:       \(output)") }
        }
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
