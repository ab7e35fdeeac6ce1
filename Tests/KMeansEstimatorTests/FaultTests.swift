import Foundation
import KMeans
import KMeansTestSupport
import Testing

@testable import KMeansEstimator

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The faults a long training run meets, each provoked for real: a second trainer, a read-only
/// directory, a full disk, a damaged latest checkpoint. The disk and read-only faults use a
/// small tmpfs, which needs root (CI runs as root); without root the read-only case uses file
/// permissions instead and the full-disk case is not run.
@Suite("Faults of a long run", .serialized)
struct FaultTests {
  static let isRoot = getuid() == 0

  func configuration(k: Int = 6) -> EstimatorConfiguration {
    var clustering = KMeansConfiguration(clusterCount: k)
    clustering.seed = 3
    clustering.tolerance = 0
    var configuration = EstimatorConfiguration(clustering: clustering)
    configuration.checkpointEverySteps = 1
    return configuration
  }

  /// Uniform points: Lloyd takes many steps on them, so no stopping rule ends a run early.
  func points() throws -> Matrix<Double> {
    var random = RandomSource(seed: 9)
    return try Matrix(
      rowCount: 3000, columnCount: 3, values: (0..<9000).map { _ in random.nextUnit() })
  }

  /// The centers of an uninterrupted run of `steps` steps, in a directory of its own.
  func uninterruptedCenters(_ data: Matrix<Double>, steps: Int) throws -> Matrix<Double> {
    let estimator = try KMeansEstimator<Double>(
      modelDirectory: try temporaryPath("uninterrupted"), configuration: configuration())
    try estimator.train(input: .matrix(data), steps: steps)
    return try estimator.model().centers
  }

  /// A small tmpfs at a new folder; unmounted by `unmount`.
  func mountTmpfs(kilobytes: Int) throws -> String {
    let folder = try temporaryPath("tmpfs")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try run("/bin/mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", folder)
    return folder
  }

  func run(_ arguments: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw KMeansError.invalidConfiguration("\(arguments.joined(separator: " ")) failed")
    }
  }

  func reason(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test("a second trainer of the same directory is refused at once, and nothing is lost")
  func secondTrainerRefused() throws {
    let directory = try temporaryPath("locked")
    let data = try points()
    let first = try KMeansEstimator<Double>(
      modelDirectory: directory, configuration: configuration())
    var refusal: String? = nil
    try first.train(
      input: .matrix(data), steps: 4,
      observer: TrainingObserver(progress: { record in
        guard record.iteration == 2 else { return }
        // The first trainer holds the lock now (between its checkpoints 1 and 3).
        let second = try? KMeansEstimator<Double>(
          modelDirectory: directory, configuration: self.configuration())
        refusal = self.reason { try second?.train(input: .matrix(data), steps: 1) }
      }))
    let message = try #require(refusal)
    #expect(
      message.contains("another process (pid \(getpid())) is training in this model directory"))
    // The first run finished and its checkpoints are whole; the lock is free again.
    #expect(try first.model().iterationCount == 4)
    #expect(
      ModelDirectory.damage(prefix: ModelDirectory.prefix(directory: directory, step: 4)) == nil)
    let again = try KMeansEstimator<Double>(
      modelDirectory: directory, configuration: configuration())
    #expect(try again.train(input: .matrix(data), steps: 1).finalStep == 5)
  }

  @Test("a read-only model directory is refused before training starts")
  func readOnlyDirectory() throws {
    let data = try points()
    let directory: String
    if Self.isRoot {
      directory = try mountTmpfs(kilobytes: 1024)
    } else {
      directory = try temporaryPath("read-only")
    }
    defer { if Self.isRoot { try? run("/bin/umount", "-l", directory) } }
    let estimator = try KMeansEstimator<Double>(
      modelDirectory: directory, configuration: configuration())
    try estimator.train(input: .matrix(data), steps: 2)
    if Self.isRoot {
      try run("/bin/mount", "-o", "remount,ro", directory)
    } else {
      chmod(directory, 0o555)
    }
    defer { chmod(directory, 0o755) }
    var stepsRun = 0
    let message = reason {
      try estimator.train(
        input: .matrix(data), steps: 2,
        observer: TrainingObserver(progress: { _ in stepsRun += 1 }))
    }
    #expect(message?.contains("the model directory is not writable") == true)
    #expect(stepsRun == 0)
    #expect(try estimator.model().iterationCount == 2)
  }

  @Test(
    "a disk that fills during a checkpoint: a typed error, the previous checkpoint loads and resumes to the uninterrupted result",
    .enabled(if: FaultTests.isRoot, "mounting a small tmpfs needs root"))
  func diskFull() throws {
    let data = try points()
    let expected = try uninterruptedCenters(data, steps: 6)

    let directory = try mountTmpfs(kilobytes: 128)
    defer { try? run("/bin/umount", "-l", directory) }
    let estimator = try KMeansEstimator<Double>(
      modelDirectory: directory, configuration: configuration())
    try estimator.train(input: .matrix(data), steps: 3)
    // Fill what is left of the disk.
    let filler = (directory as NSString).appendingPathComponent("filler")
    #expect(FileManager.default.createFile(atPath: filler, contents: nil))
    let handle = try #require(FileHandle(forWritingAtPath: filler))
    let block = Data(repeating: 7, count: 4096)
    while (try? handle.write(contentsOf: block)) != nil {}
    try handle.close()
    let message = reason { try estimator.train(input: .matrix(data), steps: 3) }
    #expect(message?.contains("No space left on device") == true)
    // The latest checkpoint is still step 3, whole; no half-written step 4 is left.
    try FileManager.default.removeItem(atPath: filler)
    #expect(
      try ModelDirectory.latestCheckpoint(directory: directory)?.hasSuffix("model.ckpt-3") == true)
    #expect(
      ModelDirectory.damage(prefix: ModelDirectory.prefix(directory: directory, step: 3)) == nil)
    #expect(
      !FileManager.default.fileExists(
        atPath: ModelDirectory.prefix(directory: directory, step: 4) + ".index"))
    try estimator.train(input: .matrix(data), steps: 3)
    #expect(try estimator.model().centers == expected)
  }

  @Test(
    "a damaged latest checkpoint is named with its offset; rolling back resumes from the previous")
  func damagedLatestCheckpoint() throws {
    let data = try points()
    let expected = try uninterruptedCenters(data, steps: 5)

    let directory = try temporaryPath("damaged")
    let estimator = try KMeansEstimator<Double>(
      modelDirectory: directory, configuration: configuration())
    try estimator.train(input: .matrix(data), steps: 4)
    // Flip a byte of the latest checkpoint's data shard.
    let shard = ModelDirectory.prefix(directory: directory, step: 4) + ".data-00000-of-00001"
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
    bytes[5] ^= 0xFF
    try Data(bytes).write(to: URL(fileURLWithPath: shard))

    let damage = try #require(
      ModelDirectory.damage(prefix: ModelDirectory.prefix(directory: directory, step: 4)))
    guard case .corruptFile(let path, let detail) = damage else {
      Issue.record("\(damage)")
      return
    }
    #expect(path == shard)
    #expect(detail.contains("bytes 0..<") && detail.contains("checksum mismatch"))
    #expect(throws: KMeansError.self) { try estimator.train(input: .matrix(data), steps: 1) }

    try estimator.rollBack(to: "model.ckpt-3")
    #expect(
      try ModelDirectory.latestCheckpoint(directory: directory)?.hasSuffix("model.ckpt-3") == true)
    #expect(!FileManager.default.fileExists(atPath: shard))
    try estimator.train(input: .matrix(data), steps: 2)
    #expect(try estimator.model().centers == expected)
    #expect(throws: KMeansError.self) { try estimator.rollBack(to: "model.ckpt-99") }
  }
}
