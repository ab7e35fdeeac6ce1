import Foundation
import KMeans
import KMeansEstimator
import KMeansTestSupport
import Testing

@testable import KMeansInterop

/// Every event of every events file in `directory`, files in name order (TensorBoard's).
private func events(in directory: String) throws -> [Tensorflow_Event] {
  let names = try FileManager.default.contentsOfDirectory(atPath: directory)
    .filter { $0.hasPrefix("events.out.tfevents.") }.sorted()
  return try names.flatMap { name in
    let path = directory + "/" + name
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    return try TFRecord.records(bytes, path: path).map { try Tensorflow_Event(serializedBytes: $0) }
  }
}

/// (step, value) of every scalar `tag`.
private func scalars(_ tag: String, in events: [Tensorflow_Event]) -> [(Int64, Float)] {
  events.flatMap { event in
    event.summary.value.filter { $0.tag == tag }.map { (event.step, $0.simpleValue) }
  }
}

@Suite("TensorBoard event files")
struct SummaryWriterTests {
  static let fixture = TestData.path("Tests/KMeansInteropTests/Fixtures/tensorflow.events")

  @Test("TensorFlow's own events file reads, and its records are ours byte for byte")
  func tensorFlowsFile() throws {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
    let records = try TFRecord.records(bytes, path: Self.fixture)
    try #require(records.count == 4)
    let decoded = try records.map { try Tensorflow_Event(serializedBytes: $0) }
    #expect(decoded[0].fileVersion == "brain.Event:2")
    #expect(scalars("loss", in: decoded).map(\.0) == [1, 2, 4])
    #expect(scalars("loss/raw", in: decoded).map(\.1) == [1_592_637, 1_044_022.5, 995_970.875])
    // The same events, built here: the same payload and the same framing (masked CRC-32C).
    var framed = Data(TFRecord.frame(Data(records[0])))
    for (step, loss) in [(1, 1_592_637.0), (2, 1_044_022.5), (4, 995_970.875)] {
      var event = Tensorflow_Event()
      event.wallTime = 1_796_300_000 + Double(step)
      event.step = Int64(step)
      for tag in ["loss", "loss/raw"] {
        var value = Tensorflow_Summary.Value()
        value.tag = tag
        value.simpleValue = Float(loss)
        event.summary.value.append(value)
      }
      framed.append(TFRecord.frame(try event.serializedData()))
    }
    #expect([UInt8](framed) == bytes)
  }

  @Test("scalars, histograms and restarts read back; a torn last record is skipped")
  func roundTrip() throws {
    let directory = try temporaryDirectory()
    let writer = try SummaryWriter(directory: directory)
    try writer.add(scalars: ["loss": 12.5, "kmeans/center_shift": 0.25], step: 1)
    try writer.add(
      histogram: [1, 2, 2, 3, 10], tag: "kmeans/cluster_sizes", step: 1, bucketCount: 3)
    try writer.start(at: 2)
    try writer.add(scalars: ["loss": 10], step: 2)
    #expect(throws: KMeansError.self) { try writer.add(scalars: ["loss": .nan], step: 3) }
    try writer.close()
    #expect(throws: KMeansError.self) { try writer.add(scalars: ["loss": 1], step: 4) }
    let read = try events(in: directory)
    #expect(read.first?.fileVersion == "brain.Event:2")
    #expect(read.first?.sourceMetadata.writer == "swift-kmeans")
    #expect(scalars("loss", in: read).map(\.0) == [1, 2])
    #expect(scalars("loss", in: read).map(\.1) == [12.5, 10])
    #expect(scalars("kmeans/center_shift", in: read).map(\.1) == [0.25])
    let histogram = try #require(
      read.first { !$0.summary.value.isEmpty && $0.summary.value[0].histo.num > 0 })
    #expect(histogram.summary.value[0].histo.bucket == [4, 0, 1])
    #expect(histogram.summary.value[0].histo.sum == 18)
    #expect(read.contains { $0.sessionLog.status == .start && $0.step == 2 })

    // A crash in the middle of a record: the records before it still read.
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: writer.path)))
    let whole = try TFRecord.records(bytes, path: writer.path).count
    bytes.removeLast(5)
    #expect(try TFRecord.records(bytes, path: writer.path).count == whole - 1)
    // A flipped bit is a typed error naming the file and the byte.
    bytes[20] ^= 0x10
    #expect {
      try TFRecord.records(bytes, path: writer.path)
    } throws: { error in
      "\(error)".contains(writer.path) && "\(error)".contains("checksum")
    }
  }

  @Test("two writers in one directory in the same second get two files")
  func twoWriters() throws {
    let directory = try temporaryDirectory()
    let first = try SummaryWriter(directory: directory)
    let second = try SummaryWriter(directory: directory)
    #expect(first.path != second.path)
    try first.close()
    try second.close()
  }
}

@Suite("Summaries of the estimator's training and evaluation")
struct EstimatorSummaryTests {
  func estimator(_ directory: String, summaryEvery: Int?) throws -> KMeansEstimator<Float> {
    var configuration = EstimatorConfiguration(clustering: KMeansConfiguration(clusterCount: 10))
    configuration.clustering.seed = 9
    configuration.clustering.tolerance = 0
    configuration.checkpointEverySteps = 1
    configuration.summaryEverySteps = summaryEvery
    return try KMeansEstimator<Float>(modelDirectory: directory, configuration: configuration)
  }

  @Test("a resumed run continues one step axis; evaluations go to eval/ and eval_NAME/")
  func resumedRun() throws {
    let directory = try temporaryDirectory()
    // Digits: far from converged after a few steps, so no rule stops training early.
    let rows = try TestData.digits(Float.self).0
    let first = try estimator(directory, summaryEvery: 1).train(input: .matrix(rows), steps: 3)
    let second = try estimator(directory, summaryEvery: 1).train(input: .matrix(rows), steps: 2)
    #expect(first.summaryFile != nil && second.summaryFile != nil)
    let read = try events(in: directory)
    let losses = scalars("loss/raw", in: read)
    #expect(losses.map(\.0) == [1, 2, 3, 4, 5])
    #expect(losses.map(\.1) == (first.losses + second.losses).map(Float.init))
    #expect(scalars("loss", in: read).map(\.1) == losses.map(\.1))
    #expect(scalars("kmeans/rows_per_sec", in: read).allSatisfy { $0.1 > 0 })
    #expect(scalars("global_step/sec", in: read).count == 5)
    #expect(scalars("kmeans/center_shift", in: read).count == 5)
    #expect(read.contains { $0.sessionLog.status == .start && $0.step == 4 })

    let (score, step) = try estimator(directory, summaryEvery: 1).evaluate(
      input: .matrix(rows), metrics: ["silhouette": 0.5])
    let (heldOutScore, _) = try estimator(directory, summaryEvery: 1).evaluate(
      input: .matrix(rows), name: "held_out")
    #expect(step == 5)
    let evaluation = try events(in: directory + "/eval")
    #expect(scalars("score", in: evaluation).map(\.0) == [5])
    #expect(scalars("score", in: evaluation).map(\.1) == [Float(score)])
    #expect(scalars("silhouette", in: evaluation).map(\.1) == [0.5])
    #expect(
      scalars("score", in: try events(in: directory + "/eval_held_out")).map(\.1) == [
        Float(heldOutScore)
      ])
    #expect(throws: KMeansError.self) {
      try estimator(directory, summaryEvery: 1).evaluate(input: .matrix(rows), name: "../x")
    }
  }

  @Test("the first step, every N-th and the last are written; none without summaries")
  func schedule() throws {
    let directory = try temporaryDirectory()
    let rows = try TestData.digits(Float.self).0
    try estimator(directory, summaryEvery: 3).train(input: .matrix(rows), steps: 7)
    #expect(scalars("loss", in: try events(in: directory)).map(\.0) == [1, 3, 6, 7])
    let silent = try temporaryDirectory()
    let report = try estimator(silent, summaryEvery: nil).train(input: .matrix(rows), steps: 2)
    #expect(report.summaryFile == nil)
    #expect(try events(in: silent).isEmpty)
    var configuration = EstimatorConfiguration(clustering: KMeansConfiguration(clusterCount: 4))
    configuration.summaryEverySteps = 0
    #expect(throws: KMeansError.self) { try configuration.validate() }
  }
}
