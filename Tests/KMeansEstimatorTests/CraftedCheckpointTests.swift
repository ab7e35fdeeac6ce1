import Foundation
import KMeans
import KMeansTestSupport
import Testing

@testable import KMeansEstimator

/// Checkpoint indexes with valid checksums whose numbers lie: each must be a typed error that
/// names the file, never a trap or a huge allocation. Built with the writer's own pieces, so the
/// CRCs are right and the reader gets past them.
@Suite("Crafted checkpoints")
struct CraftedCheckpointTests {
  /// Writes an index holding the header and one tensor entry, and a small data shard.
  func bundle(entry: ProtoWriter, name: String = "clusters") throws -> String {
    let prefix = try temporaryPath("crafted") + "/model.ckpt-1"
    try FileManager.default.createDirectory(
      atPath: (prefix as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    var header = ProtoWriter()
    header.varintField(1, 1)
    var table = SSTableWriter()
    table.add(key: [], value: header.bytes)
    table.add(key: Array(name.utf8), value: entry.bytes)
    try Data(table.finish()).write(to: URL(fileURLWithPath: prefix + ".index"))
    try Data(repeating: 0, count: 16).write(
      to: URL(fileURLWithPath: prefix + ".data-00000-of-00001"))
    return prefix
  }

  /// An entry of `dtype` with `shape`, `offset` and `size` (raw varints).
  func entry(dtype: Int64 = 1, shape: [Int64], offset: UInt64, size: UInt64) -> ProtoWriter {
    var entry = ProtoWriter()
    entry.varintField(1, dtype)
    var shapeProto = ProtoWriter()
    for dimension in shape {
      var dim = ProtoWriter()
      dim.varintField(1, dimension)
      shapeProto.bytesField(2, dim.bytes)
    }
    entry.bytesField(2, shapeProto.bytes)
    entry.varintField(4, Int64(bitPattern: offset))
    entry.varintField(5, Int64(bitPattern: size))
    return entry
  }

  func corruptReason(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch KMeansError.corruptFile(_, let reason) {
      return reason
    } catch {
      return "unexpected: \(error)"
    }
  }

  @Test("an offset or size past Int.max is an error naming it")
  func hugeOffsetAndSize() throws {
    let hugeOffset = try bundle(entry: entry(shape: [2], offset: UInt64.max, size: 8))
    #expect(
      corruptReason { _ = try TensorBundleReader(prefix: hugeOffset) }?
        .contains("the offset 18446744073709551615 is too large") == true)
    let hugeSize = try bundle(entry: entry(shape: [2], offset: 0, size: 1 << 63))
    #expect(
      corruptReason { _ = try TensorBundleReader(prefix: hugeSize) }?
        .contains("is too large") == true)
  }

  @Test("a shape whose product overflows is refused")
  func shapeOverflow() throws {
    let prefix = try bundle(entry: entry(shape: [1 << 40, 1 << 40], offset: 0, size: 8))
    #expect(
      corruptReason { _ = try TensorBundleReader(prefix: prefix) }?
        .contains("is too large") == true)
  }

  @Test("an offset inside Int but past the shard is found before anything is allocated")
  func offsetPastShard() throws {
    let prefix = try bundle(entry: entry(shape: [1 << 28], offset: 1 << 40, size: 1 << 30))
    let reader = try TensorBundleReader(prefix: prefix)
    #expect(
      corruptReason { _ = try reader.tensor("clusters") }?
        .contains("needs 1073741824 bytes from byte 1099511627776, the file has 16") == true)
  }

  @Test("writing two tensors of one name, an empty name or a string tensor is a typed error")
  func writerArguments() throws {
    let prefix = try temporaryPath("writer") + "-ckpt"
    let tensor = BundleTensor(name: "a", shape: [1], floats: [1])
    #expect(throws: KMeansError.self) {
      try TensorBundleWriter.write([tensor, tensor], prefix: prefix)
    }
    #expect(throws: KMeansError.self) {
      try TensorBundleWriter.write(
        [BundleTensor(name: "", shape: [1], floats: [1])], prefix: prefix)
    }
    #expect(!FileManager.default.fileExists(atPath: prefix + ".index"))
  }
}
