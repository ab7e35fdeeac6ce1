import Foundation
import KMeans
import KMeansBytes
import KMeansTestSupport
import Testing

@testable import KMeansEstimator

enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static func temporaryDirectory() throws -> String { try KMeansTestSupport.temporaryDirectory() }

  struct EstimatorExpectation: Decodable {
    var clusterCenters: [[Double]]
    var clusterIndex: [Int]
    var score: Double
  }

  static func estimatorExpectation() throws -> EstimatorExpectation {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(
      EstimatorExpectation.self,
      from: Data(contentsOf: root.appendingPathComponent("tf-kmeans-estimator/expected.json")))
  }
}

@Suite("TensorFlow V2 checkpoints")
struct TensorBundleTests {
  @Test("CRC32C check value and masking")
  func crc() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8]()) == 0)
    #expect(CRC32C.mask(0) == 0xA282_EAD8)
    for value: UInt32 in [0, 1, 0xDEAD_BEEF, .max] {
      #expect(CRC32C.unmask(CRC32C.mask(value)) == value)
    }
  }

  @Test("the estimator's model.ckpt-5 is reproduced byte for byte")
  func estimatorCheckpointBytes() throws {
    let expected = try Fixtures.estimatorExpectation()
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let prefix = directory + "/model.ckpt-5"
    try TensorBundleWriter.write(
      [
        BundleTensor(
          name: "clusters", shape: [3, 2],
          floats: expected.clusterCenters.flatMap { $0.map(Float.init) }),
        BundleTensor(name: "global_step", shape: [], int64s: [5]),
        BundleTensor(name: "initialized", bool: true),
      ], prefix: prefix)
    let original = Fixtures.path("tf-kmeans-estimator/model_dir/model.ckpt-5")
    for suffix in [".index", ".data-00000-of-00001"] {
      let ours = try Data(contentsOf: URL(fileURLWithPath: prefix + suffix))
      let theirs = try Data(contentsOf: URL(fileURLWithPath: original + suffix))
      #expect(ours == theirs, "\(suffix) differs")
    }
  }

  @Test("the tiny Saver checkpoint is reproduced byte for byte and reads back exactly")
  func tinySaver() throws {
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let tensors = [
      BundleTensor(name: "w", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6.5]),
      BundleTensor(name: "step", shape: [], int64s: [42]),
    ]
    try TensorBundleWriter.write(tensors, prefix: directory + "/model.ckpt-7")
    let original = Fixtures.path("tf-tiny-checkpoint/saver_v1/model.ckpt-7")
    for suffix in [".index", ".data-00000-of-00001"] {
      #expect(
        try Data(contentsOf: URL(fileURLWithPath: directory + "/model.ckpt-7" + suffix))
          == Data(contentsOf: URL(fileURLWithPath: original + suffix)))
    }
    let reader = try TensorBundleReader(prefix: original)
    #expect(reader.names == ["step", "w"])
    #expect(try reader.tensor("w").floats == [1, 2, 3, 4, 5, 6.5])
    #expect(try reader.tensor("w").shape == [2, 3])
    #expect(try reader.tensor("step").integers == [42])
    #expect(try reader.tensor("step").shape == [])
  }

  @Test(
    "the object-based checkpoint: prefix-compressed keys, data out of key order, a string tensor")
  func objectCheckpoint() throws {
    let state = try #require(
      try CheckpointState.read(directory: Fixtures.path("tf-tiny-checkpoint/object_v2")))
    #expect(state.latest == "ckpt-1")
    let reader = try TensorBundleReader(
      prefix: Fixtures.path("tf-tiny-checkpoint/object_v2/ckpt-1"))
    #expect(
      reader.names == [
        "_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
        "step/.ATTRIBUTES/VARIABLE_VALUE", "w/.ATTRIBUTES/VARIABLE_VALUE",
      ])
    #expect(try reader.tensor("w/.ATTRIBUTES/VARIABLE_VALUE").floats == [1, 2, 3, 4, 5, 6.5])
    #expect(try reader.tensor("step/.ATTRIBUTES/VARIABLE_VALUE").integers == [42])
    #expect(try reader.tensor("save_counter/.ATTRIBUTES/VARIABLE_VALUE").integers == [1])
    let graph = try reader.tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
    #expect(graph.dataType == .string)
    #expect(graph.strings.count == 1)
    #expect(graph.bytes.count == 257)
    #expect(graph.strings[0].count > 200)
  }

  @Test("the estimator's model_dir: checkpoint state, the empty step-0 clusters, step-5 centers")
  func estimatorDirectory() throws {
    let directory = Fixtures.path("tf-kmeans-estimator/model_dir")
    let state = try #require(try CheckpointState.read(directory: directory))
    #expect(
      state == CheckpointState(latest: "model.ckpt-5", all: ["model.ckpt-0", "model.ckpt-5"]))
    let initial = try TensorBundleReader(prefix: directory + "/model.ckpt-0")
    #expect(try initial.tensor("clusters").shape == [0])
    #expect(try initial.tensor("clusters").bytes.isEmpty)
    let final = try TensorBundleReader(prefix: directory + "/model.ckpt-5")
    let expected = try Fixtures.estimatorExpectation()
    #expect(
      try final.tensor("clusters").floats == expected.clusterCenters.flatMap { $0.map(Float.init) }
    )
    #expect(try final.tensor("global_step").integers == [5])
    #expect(try final.tensor("initialized").integers == [1])
  }

  @Test("corrupt, truncated and missing files give clear errors")
  func corruption() throws {
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let source = Fixtures.path("tf-kmeans-estimator/model_dir/model.ckpt-5")
    let prefix = directory + "/model.ckpt-5"
    func reset() throws {
      for suffix in [".index", ".data-00000-of-00001"] {
        try? FileManager.default.removeItem(atPath: prefix + suffix)
        try FileManager.default.copyItem(atPath: source + suffix, toPath: prefix + suffix)
      }
    }
    func modify(_ suffix: String, _ change: (inout [UInt8]) -> Void) throws {
      var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: prefix + suffix)))
      change(&bytes)
      try Data(bytes).write(to: URL(fileURLWithPath: prefix + suffix))
    }
    func message(_ body: () throws -> Void) -> String {
      do {
        try body()
        return "no error"
      } catch {
        return "\(error)"
      }
    }

    // A flipped bit in the data: the tensor's CRC catches it.
    try reset()
    try modify(".data-00000-of-00001") { $0[3] ^= 0x10 }
    #expect(
      message { _ = try TensorBundleReader(prefix: prefix).tensor("clusters") }.contains(
        "tensor 'clusters' (bytes 0..<24): checksum mismatch"))
    #expect(throws: Never.self) { _ = try TensorBundleReader(prefix: prefix).tensor("global_step") }

    // A flipped bit in the index block: the block CRC catches it.
    try reset()
    try modify(".index") { $0[20] ^= 0x01 }
    #expect(message { _ = try TensorBundleReader(prefix: prefix) }.contains("checksum mismatch"))

    // Truncations.
    try reset()
    try modify(".index") { $0.removeLast(10) }
    #expect(message { _ = try TensorBundleReader(prefix: prefix) }.contains("bad magic number"))
    try modify(".index") { $0 = Array($0.prefix(20)) }
    #expect(
      message { _ = try TensorBundleReader(prefix: prefix) }.contains(
        "too short for a checkpoint index"))
    try reset()
    try modify(".data-00000-of-00001") { $0.removeLast(5) }
    #expect(
      message { _ = try TensorBundleReader(prefix: prefix).tensor("initialized") }.contains(
        "tensor 'initialized' needs 1 bytes from byte 32, the file has 28"))

    // A missing shard.
    try reset()
    try FileManager.default.removeItem(atPath: prefix + ".data-00000-of-00001")
    #expect(
      message { _ = try TensorBundleReader(prefix: prefix).tensor("clusters") }.contains(
        "missing data shard"))

    #expect(
      message { _ = try TensorBundleReader(prefix: directory + "/nothing") }.contains(
        "no such file"))
  }
}
