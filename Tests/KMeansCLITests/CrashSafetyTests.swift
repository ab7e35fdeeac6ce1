import Foundation
import KMeans
import KMeansEstimator
import KMeansIO
import KMeansTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Training in a child process is killed with SIGKILL at random moments; every time the
/// directory must load its last complete checkpoint, and resuming must reach exactly the
/// centers of an uninterrupted run.
@Suite("Crash safety")
struct CrashSafetyTests {
  static let arguments = [
    "-k", "8", "--mini-batch", "--batch-size", "256", "--max-steps", "30",
    "--checkpoint-every", "1", "--seed", "3", "--json",
  ]

  /// The same settings as `arguments`, for resuming in this process.
  static func configuration() -> EstimatorConfiguration {
    var clustering = KMeansConfiguration(clusterCount: 8)
    clustering.seed = 3
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 256
    clustering.miniBatch = miniBatch
    var configuration = EstimatorConfiguration(clustering: clustering)
    configuration.checkpointEverySteps = 1
    return configuration
  }

  @Test("100 kills: the last checkpoint always loads, and resuming reaches the same centers")
  func killedTraining() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var random = RandomSource(seed: 2024)
    var rows: [[Float]] = []
    let centers = (0..<8).map { _ in (0..<8).map { _ in Float(random.nextUnit() * 20) } }
    for _ in 0..<20_000 {
      let center = centers[random.nextIndex(below: 8)]
      rows.append(center.map { $0 + Float(random.nextUnit()) })
    }
    let data = try Matrix<Float>(rows: rows)
    let dataPath = directory.appendingPathComponent("data.npy").path
    try NumPyFile.write(data, to: dataPath)

    // The uninterrupted run: when its first checkpoint appears and when it ends, measured on
    // this machine, so that the kills fall across the training whatever the machine's speed.
    let reference = directory.appendingPathComponent("reference").path
    let started = Date()
    let process = Process()
    process.executableURL = Command.executable
    process.arguments = ["train", dataPath, "--model-dir", reference] + Self.arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var firstCheckpoint: Double? = nil
    var lastCheckpoint: Double? = nil
    while process.isRunning {
      let now = Date().timeIntervalSince(started)
      if firstCheckpoint == nil,
        FileManager.default.fileExists(atPath: reference + "/model.ckpt-1.index")
      {
        firstCheckpoint = now
      }
      if lastCheckpoint == nil,
        FileManager.default.fileExists(atPath: reference + "/model.ckpt-30.index")
      {
        lastCheckpoint = now
      }
      usleep(200)
    }
    let duration = Date().timeIntervalSince(started)
    #expect(process.terminationStatus == 0)
    let trainingStart = min(firstCheckpoint ?? 0, duration) * 0.9
    let trainingEnd = max(trainingStart, min(lastCheckpoint ?? duration, duration))
    let expected = try KMeansEstimator<Float>(
      modelDirectory: reference, configuration: Self.configuration()
    )
    .clusterCenters()

    var killedMidway = 0
    var resumedMidRun = 0
    for trial in 0..<100 {
      let run = directory.appendingPathComponent("run-\(trial)").path
      let process = Process()
      process.executableURL = Command.executable
      process.arguments = ["train", dataPath, "--model-dir", run] + Self.arguments
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      // Every tenth kill at a random moment before training; the others the moment the
      // checkpoint of a random step appears (an event, so no machine is too fast or too slow
      // for the kill to land mid-run), plus up to one step's time.
      if trial % 10 == 0 {
        usleep(UInt32(random.nextUnit() * trainingStart * 1e6))
      } else {
        let step = 1 + random.nextIndex(below: 28)
        let started = Date()
        while process.isRunning && Date().timeIntervalSince(started) < 120
          && !FileManager.default.fileExists(atPath: run + "/model.ckpt-\(step).index")
        {
          usleep(100)
        }
        usleep(UInt32(random.nextUnit() * (trainingEnd - trainingStart) / 30 * 1e6))
      }
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      if process.terminationReason == .uncaughtSignal { killedMidway += 1 }

      // Whatever moment the kill hit, the directory holds a loadable checkpoint (or none yet).
      if let prefix = try ModelDirectory.latestCheckpoint(directory: run) {
        let step = try ModelDirectory.load(prefix: prefix, as: Float.self).globalStep
        if step > 0 && step < 30 { resumedMidRun += 1 }
        let reader = try TensorBundleReader(prefix: prefix)
        #expect(try reader.tensor("clusters").shape.count == 2, "trial \(trial): \(prefix)")
        #expect(throws: Never.self, "trial \(trial)") {
          _ = try ModelDirectory.loadModel(directory: run)
        }
      }
      let resumed = try KMeansEstimator<Float>(
        modelDirectory: run, configuration: Self.configuration())
      try resumed.train(input: .matrix(data), maxSteps: 30)
      #expect(try resumed.clusterCenters() == expected, "trial \(trial) resumed elsewhere")
      try? FileManager.default.removeItem(atPath: run)
    }
    // Most kills must land mid-training for the test to mean anything.
    #expect(killedMidway >= 50, "only \(killedMidway) of 100 kills interrupted training")
    // ...and most after a checkpoint, so resuming started mid-run, not from scratch.
    #expect(resumedMidRun >= 80, "only \(resumedMidRun) of 100 runs resumed from a mid-run step")
  }
}

@Suite("Damaged checkpoints from the command line")
struct DamagedCheckpointCommandTests {
  @Test(
    "inspect names the damaged file and its bytes and the sound checkpoint; --resume-from goes on from it"
  )
  func inspectAndResume() throws {
    let directory = try Command.temporaryDirectory().appendingPathComponent("run").path
    let train = [
      "train", "Data/digits.csv", "-k", "10", "--label-column", "digit", "--model-dir", directory,
      "--checkpoint-every", "1", "--tol", "0",
    ]
    #expect(try Command.run(train + ["--steps", "3"]).status == 0)
    let shard = directory + "/model.ckpt-3.data-00000-of-00001"
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
    bytes[100] ^= 1
    try Data(bytes).write(to: URL(fileURLWithPath: shard))

    let inspect = try Command.run(["inspect", directory])
    #expect(inspect.status != 0)
    #expect(
      inspect.standardError.contains(
        "model.ckpt-3: DAMAGED: \(shard): corrupt file: tensor 'clusters' (bytes 0..<2560): checksum mismatch"
      ))
    #expect(inspect.standardError.contains("model.ckpt-2: sound"))
    #expect(inspect.standardError.contains("--resume-from model.ckpt-2"))

    let resumed = try Command.run(
      train + ["--steps", "2", "--resume-from", "model.ckpt-2", "--json"])
    #expect(resumed.status == 0, "\(resumed.standardError)")
    #expect(try Command.run(["inspect", directory]).status == 0)
    #expect(FileManager.default.fileExists(atPath: directory + "/model.ckpt-4.index"))
  }
}

@Suite("Two processes, one model directory")
struct ConcurrentTrainingCommandTests {
  @Test(
    "a second kmeans train into a directory being trained is refused at once; the first goes on whole"
  )
  func secondProcessRefused() throws {
    let directory = try Command.temporaryDirectory()
    let data = try TestData.blobs(rows: 4000, dimension: 4, clusters: 8, seed: 5, as: Float.self)
    let dataPath = directory.appendingPathComponent("data.npy").path
    try NumPyFile.write(data, to: dataPath)
    let run = directory.appendingPathComponent("run").path
    let arguments = [
      "train", dataPath, "--model-dir", run, "-k", "8", "--mini-batch", "--batch-size", "64",
      "--checkpoint-every", "1", "--seed", "3",
    ]
    // The first trainer runs until told to stop (SIGINT: it checkpoints and ends): no rule
    // can end it first, whatever the machine's speed.
    let first = Process()
    first.executableURL = Command.executable
    first.arguments = arguments + ["--max-steps", "100000000", "--max-no-improvement", "0"]
    first.standardOutput = FileHandle.nullDevice
    first.standardError = FileHandle.nullDevice
    try first.run()
    defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
    // An event, not a delay: its second checkpoint exists, so it holds the lock.
    let started = Date()
    while first.isRunning && Date().timeIntervalSince(started) < 300
      && !FileManager.default.fileExists(atPath: run + "/model.ckpt-2.index")
    {
      usleep(1000)
    }
    #expect(first.isRunning)

    let second = try Command.run(arguments + ["--steps", "1"])
    #expect(second.status != 0)
    #expect(
      second.standardError.contains(
        "another process (pid \(first.processIdentifier)) is training in this model directory"),
      "\(second.standardError)")

    kill(first.processIdentifier, SIGINT)
    first.waitUntilExit()
    // Nothing was lost: the first run's latest checkpoint is whole, and the directory is free.
    let latest = try #require(try ModelDirectory.latestCheckpoint(directory: run))
    #expect(ModelDirectory.damage(prefix: latest) == nil)
    #expect(try ModelDirectory.load(prefix: latest, as: Float.self).globalStep >= 2)
    #expect(try Command.run(arguments + ["--steps", "1"]).status == 0)
  }
}
