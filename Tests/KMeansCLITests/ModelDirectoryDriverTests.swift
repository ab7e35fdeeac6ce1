import Foundation
import KMeans
import KMeansEstimator
import KMeansIO
import KMeansMPI
import KMeansTestSupport
import Testing

/// The model directory has one training run behind three drivers — `KMeansEstimator`,
/// `kmeans train --model-dir` and `kmeans-mpi train --model-dir` (here: its job on two ranks
/// that are threads; `Scripts/mpi-tests.sh` runs the same table through `mpirun`). Each
/// refusal must come from all three, with the same words.
@Suite("One model-directory driver for the library, kmeans and kmeans-mpi")
struct ModelDirectoryDriverTests {
  /// What differs from the directory's run (k = 3, 4 columns, float32, squared Euclidean,
  /// full batch), and the words every driver must refuse it with.
  struct Refusal: CustomStringConvertible, Sendable {
    var name: String
    var arguments: [String] = []
    var columns = 4
    var message: String
    var description: String { name }

    func configuration() -> KMeansConfiguration {
      var configuration = KMeansConfiguration(clusterCount: arguments.contains("-k") ? 4 : 3)
      configuration.threadCount = 1
      if arguments.contains("cosine") { configuration.metric = .cosine }
      if arguments.contains("--n-init") { configuration.restarts = 3 }
      if arguments.contains("--mini-batch") { configuration.miniBatch = MiniBatchConfiguration() }
      return configuration
    }

    var float64: Bool { arguments.contains("--float64") }
  }

  static let refusals: [Refusal] = [
    Refusal(
      name: "metric", arguments: ["--metric", "cosine"],
      message: "was trained with metric squaredEuclidean, not cosine"),
    Refusal(
      name: "dtype", arguments: ["--float64"],
      message: "was trained with dtype float32, not float64"),
    Refusal(name: "k", arguments: ["-k", "4"], message: "was trained with k 3, not 4"),
    Refusal(
      name: "dimension", columns: 5,
      message: "the model directory expects 4 column(s), got 5"),
    Refusal(
      name: "restarts", arguments: ["--n-init", "3"],
      message: "restarts=3 with a model directory"),
    Refusal(
      name: "mini-batch settings", arguments: ["--mini-batch"],
      message: "was trained with steps per iteration (0: full batch) 0, not 1"),
  ]

  /// Rows of `columns` features around three centers.
  static func points(columns: Int) throws -> Matrix<Float> {
    var generator = RandomSource(seed: 5)
    let values = (0..<(300 * columns)).map { index -> Float in
      Float((index / columns) % 3 * 10) + Float.random(in: 0..<1, using: &generator)
    }
    return try Matrix(rowCount: 300, columnCount: columns, values: values)
  }

  /// A directory trained for 2 steps by `kmeans train`, and the data files.
  static func trainedDirectory() throws -> (directory: String, data: [Int: String]) {
    let folder = try temporaryDirectory()
    var data: [Int: String] = [:]
    for columns in [4, 5] {
      data[columns] = folder + "/points-\(columns).npy"
      try NumPyFile.write(points(columns: columns), to: data[columns]!)
    }
    let directory = folder + "/model"
    let trained = try Command.run([
      "train", data[4]!, "-k", "3", "--model-dir", directory, "--steps", "2", "--threads", "1",
    ])
    #expect(trained.status == 0, "\(trained.standardError)")
    return (directory, data)
  }

  @Test(
    "each refusal comes from kmeans train, KMeansEstimator and the kmeans-mpi job",
    arguments: refusals)
  func refusal(_ refusal: Refusal) throws {
    let (directory, data) = try Self.trainedDirectory()
    let path = data[refusal.columns]!
    let before = try ModelDirectory.latestCheckpoint(directory: directory)

    // kmeans train
    var arguments = ["train", path, "--model-dir", directory, "--steps", "2", "--threads", "1"]
    if !refusal.arguments.contains("-k") { arguments += ["-k", "3"] }
    let command = try Command.run(arguments + refusal.arguments)
    #expect(command.status != 0, "kmeans train: \(refusal)")
    #expect(
      command.standardError.contains(refusal.message), "kmeans train: \(command.standardError)")

    // KMeansEstimator, and the job of kmeans-mpi on two ranks
    if refusal.float64 {
      try expectRefusals(Double.self, refusal, directory: directory, data: path)
    } else {
      try expectRefusals(Float.self, refusal, directory: directory, data: path)
    }
    // Nothing was written by any of them.
    #expect(try ModelDirectory.latestCheckpoint(directory: directory) == before)
    #expect(try ModelDirectory.metadata(directory: directory)?.dimension == 4)
  }

  func expectRefusals<Scalar: KMeansScalar>(
    _: Scalar.Type, _ refusal: Refusal, directory: String, data: String
  ) throws {
    let matrix = try NumPyFile.read(data, as: Scalar.self)
    let settings = EstimatorConfiguration(clustering: refusal.configuration())
    let library = #expect(throws: KMeansError.self, "KMeansEstimator: \(refusal)") {
      let estimator = try KMeansEstimator<Scalar>(
        modelDirectory: directory, configuration: settings)
      try estimator.train(input: .matrix(matrix), steps: 2)
    }
    #expect(
      library?.description.contains(refusal.message) == true, "\(String(describing: library))")

    let messages = try Self.twoRankJob(
      matrix, configuration: refusal.configuration(), directory: directory)
    for (rank, message) in messages.enumerated() {
      #expect(message.contains(refusal.message), "kmeans-mpi job, rank \(rank): \(message)")
    }
  }

  /// What each rank of the kmeans-mpi job (two threads as ranks, 2 steps in `directory`)
  /// ends with: "trained", or its error's words.
  static func twoRankJob<Scalar: KMeansScalar>(
    _ matrix: Matrix<Scalar>, configuration: KMeansConfiguration, directory: String
  ) throws -> [String] {
    let group = ThreadGroup(size: 2)
    return try eachWorker(2) { rank -> String in
      let half = matrix.rowCount / 2
      let range = (rank * half)..<((rank + 1) * half)
      var job = DistributedJob<Scalar>(
        shard: .dense(matrix.rows(range), weights: nil), rowOffset: range.lowerBound,
        dimension: matrix.columnCount, configuration: configuration)
      job.modelDirectory = directory
      job.steps = 2
      do {
        _ = try job.run(collectives: group.member(rank))
        return "trained"
      } catch {
        return "\(error)"
      }
    }
  }

  @Test("a directory locked by one trainer refuses the kmeans-mpi job on every rank")
  func lockedDirectory() throws {
    let (directory, data) = try Self.trainedDirectory()
    let lock = try DirectoryLock(directory: directory, purpose: "training")
    defer { lock.release() }
    let matrix = try NumPyFile.read(data[4]!, as: Float.self)
    var configuration = KMeansConfiguration(clusterCount: 3)
    configuration.threadCount = 1
    let messages = try Self.twoRankJob(matrix, configuration: configuration, directory: directory)
    #expect(messages[0].contains("is training in this model directory"), "\(messages[0])")
    #expect(messages[1].contains("rank 0"), "\(messages[1])")
  }

  @Test("the kmeans-mpi job resumes where kmeans train stopped and ends where kmeans train ends")
  func resumeAcrossDrivers() throws {
    // Uniform rows: Lloyd with k = 8 is still moving after four steps.
    let folder = try temporaryDirectory()
    var generator = RandomSource(seed: 11)
    let matrix = try Matrix<Float>(
      rowCount: 400, columnCount: 4,
      values: (0..<1600).map { _ in Float.random(in: -1..<1, using: &generator) })
    let data = folder + "/uniform.npy"
    try NumPyFile.write(matrix, to: data)
    let common = [data, "-k", "8", "--tol", "0", "--threads", "1"]
    for (directory, steps) in [("shared", "2"), ("alone", "4")] {
      let run = try Command.run(
        ["train"] + common + ["--model-dir", folder + "/" + directory, "--max-steps", steps])
      #expect(run.status == 0, "\(run.standardError)")
    }
    let group = ThreadGroup(size: 2)
    var settings = KMeansConfiguration(clusterCount: 8)
    settings.threadCount = 1
    settings.tolerance = 0
    let configuration = settings
    let outcomes = try eachWorker(2) { rank -> (Int64?, Int64?) in
      let range = (rank * 200)..<((rank + 1) * 200)
      var job = DistributedJob<Float>(
        shard: .dense(matrix.rows(range), weights: nil), rowOffset: range.lowerBound,
        dimension: 4, configuration: configuration)
      job.modelDirectory = folder + "/shared"
      job.maxSteps = 4
      let outcome = try job.run(collectives: group.member(rank))
      return (outcome.resumedFromStep, outcome.report?.finalStep)
    }
    for (resumed, final) in outcomes {
      #expect(resumed == 2)
      #expect(final == 4)
    }
    let shared = try ModelDirectory.loadModel(directory: folder + "/shared")
    let alone = try ModelDirectory.loadModel(directory: folder + "/alone")
    guard case .float(let two) = shared, case .float(let one) = alone else {
      Issue.record("float32 directories expected")
      return
    }
    #expect(two.iterationCount == 4 && one.iterationCount == 4)
    let largest = zip(two.centers.values, one.centers.values).map { abs($0 - $1) }.max() ?? 1
    #expect(largest <= 1e-5, "the centers differ by \(largest)")
  }

  /// The long option names of `COMMAND train`, from the command's own help dump.
  static func optionNames(_ executable: URL) throws -> Set<String> {
    let process = Process()
    process.executableURL = executable
    process.arguments = ["train", "--experimental-dump-help"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let dump = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    let command = dump?["command"] as? [String: Any]
    let arguments = command?["arguments"] as? [[String: Any]] ?? []
    var names = Set<String>()
    for argument in arguments {
      for name in argument["names"] as? [[String: String]] ?? [] where name["kind"] == "long" {
        names.insert(name["name"] ?? "")
      }
    }
    return names
  }

  @Test("kmeans-mpi train takes every kmeans train option that means something under MPI")
  func optionLists() throws {
    let kmeans = try Self.optionNames(Command.executable)
    let mpi = try Self.optionNames(
      Command.executable.deletingLastPathComponent().appendingPathComponent("kmeans-mpi"))
    #expect(kmeans.count > 40, "\(kmeans.sorted())")
    // Reading a file a piece at a time and bisecting are single-process modes.
    #expect(kmeans.subtracting(mpi) == ["stream", "bisecting"])
    #expect(kmeans.contains("model-dir") && kmeans.contains("centers-output"))
    // How long a collective may wait is MPI's alone.
    #expect(mpi.subtracting(kmeans) == ["timeout"])
  }
}
