import Foundation
import KMeans
import KMeansBytes
import KMeansIO

/// Reads TensorFlow V2 checkpoints written by TensorFlow or by ``TensorBundleWriter``,
/// checking every CRC. Corrupt, truncated or unsupported files give a `KMeansError` that
/// names the file and the problem.
public struct TensorBundleReader: Sendable {
  /// What the index says about one tensor.
  public struct Entry: Sendable {
    /// The element type.
    public var dataType: TensorDataType
    /// The dimensions.
    public var shape: [Int]
    /// The data shard holding it.
    public var shard: Int
    /// Where its bytes start in that shard.
    public var offset: Int
    /// How many bytes it has.
    public var size: Int
    /// The masked CRC32C of its bytes.
    public var maskedCRC: UInt32
  }

  /// The checkpoint prefix, e.g. `/dir/model.ckpt-5`.
  public let prefix: String
  /// The number of data shards.
  public let shardCount: Int
  /// Every tensor's entry, by name.
  public let entries: [String: Entry]

  /// The tensor names in index (bytewise) order.
  public var names: [String] {
    entries.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
  }

  /// Reads and checks `<prefix>.index`.
  public init(prefix: String) throws {
    self.prefix = prefix
    let indexPath = prefix + ".index"
    let file = [UInt8](try AtomicFile.read(indexPath))
    let pairs = try SSTableReader.entries(of: file, path: indexPath)
    guard let first = pairs.first, first.key.isEmpty else {
      throw KMeansError.corruptFile(path: indexPath, reason: "the index has no bundle header")
    }
    var header = ProtoReader(first.value, context: indexPath)
    var shards = 0
    while !header.atEnd {
      let field = try header.field()
      switch field.number {
      case 1: shards = try header.int(field.value, "the number of data shards")
      case 2:
        if field.value != 0 {
          throw KMeansError.unsupportedFormat(
            path: indexPath, reason: "big-endian checkpoints are not supported")
        }
      default: break
      }
    }
    guard shards >= 1 else {
      throw KMeansError.corruptFile(path: indexPath, reason: "the header has \(shards) data shards")
    }
    shardCount = shards
    var entries: [String: Entry] = [:]
    for (key, value) in pairs.dropFirst() {
      let name = String(decoding: key, as: UTF8.self)
      entries[name] = try Self.parseEntry(value, name: name, path: indexPath)
    }
    self.entries = entries
  }

  static func parseEntry(_ bytes: [UInt8], name: String, path: String) throws -> Entry {
    var reader = ProtoReader(bytes, context: path)
    var dtype = 0
    var shape: [Int] = []
    var entry = Entry(dataType: .float, shape: [], shard: 0, offset: 0, size: 0, maskedCRC: 0)
    while !reader.atEnd {
      let field = try reader.field()
      switch field.number {
      case 1: dtype = Int(truncatingIfNeeded: field.value)
      case 2:
        var shapeReader = ProtoReader(field.data, context: path)
        while !shapeReader.atEnd {
          let dimField = try shapeReader.field()
          guard dimField.number == 2 else { continue }
          var dimReader = ProtoReader(dimField.data, context: path)
          var size: Int64 = 0
          while !dimReader.atEnd {
            let sizeField = try dimReader.field()
            if sizeField.number == 1 { size = Int64(bitPattern: sizeField.value) }
          }
          guard size >= 0 else {
            throw KMeansError.corruptFile(
              path: path, reason: "tensor '\(name)' has a negative dimension")
          }
          shape.append(Int(size))
        }
      case 3: entry.shard = try reader.int(field.value, "tensor '\(name)': the shard")
      case 4: entry.offset = try reader.int(field.value, "tensor '\(name)': the offset")
      case 5: entry.size = try reader.int(field.value, "tensor '\(name)': the size")
      case 6: entry.maskedCRC = UInt32(truncatingIfNeeded: field.value)
      case 7:
        throw KMeansError.unsupportedFormat(
          path: path, reason: "tensor '\(name)' is partitioned (slices are not supported)")
      default: break
      }
    }
    guard let type = TensorDataType(rawValue: dtype) else {
      throw KMeansError.unsupportedFormat(
        path: path, reason: "tensor '\(name)' has data type \(dtype), which is not supported")
    }
    entry.dataType = type
    entry.shape = shape
    if let elementSize = type.elementSize {
      // Checked: a crafted shape must not overflow the product.
      guard let expected = shape.checkedProduct(startingWith: elementSize) else {
        throw KMeansError.corruptFile(
          path: path, reason: "tensor '\(name)': the shape \(shape) is too large")
      }
      guard entry.size == expected else {
        throw KMeansError.corruptFile(
          path: path,
          reason:
            "tensor '\(name)': stored size \(entry.size), expected \(expected) for \(type) \(shape)"
        )
      }
    }
    return entry
  }

  /// The tensor's values, read from its data shard and checked against its CRC.
  public func tensor(_ name: String) throws -> BundleTensor {
    guard let entry = entries[name] else {
      throw KMeansError.corruptFile(
        path: prefix + ".index",
        reason: "no tensor named '\(name)' (it has: \(names.joined(separator: ", ")))")
    }
    guard entry.shard < shardCount else {
      throw KMeansError.corruptFile(
        path: prefix + ".index",
        reason: "tensor '\(name)' lies in shard \(entry.shard) of \(shardCount)")
    }
    let path = TensorBundleWriter.dataPath(prefix: prefix, shard: entry.shard, of: shardCount)
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw KMeansError.fileUnreadable(path: path, reason: "missing data shard")
    }
    defer { try? handle.close() }
    let bytes: [UInt8]
    do {
      // The offset and size come from the index: checked against the shard's length before
      // anything is allocated for them.
      let length = try handle.seekToEnd()
      guard UInt64(entry.size) <= length, UInt64(entry.offset) <= length - UInt64(entry.size)
      else {
        throw KMeansError.corruptFile(
          path: path,
          reason:
            "tensor '\(name)' needs \(entry.size) bytes from byte \(entry.offset), the file has \(length)"
        )
      }
      try handle.seek(toOffset: UInt64(entry.offset))
      bytes = [UInt8](try handle.read(upToCount: entry.size) ?? Data())
    } catch let error as KMeansError {
      throw error
    } catch {
      throw KMeansError.fileUnreadable(path: path, reason: "\(error)")
    }
    guard bytes.count == entry.size else {
      throw KMeansError.corruptFile(
        path: path, reason: "tensor '\(name)': the file ended after \(bytes.count) bytes")
    }
    var strings: [[UInt8]] = []
    let computed: UInt32
    if entry.dataType == .string {
      // Each string takes at least one length byte, so more strings than bytes is corrupt (and
      // the product of the shape is checked).
      guard let count = entry.shape.checkedProduct(), count <= bytes.count else {
        throw KMeansError.corruptFile(
          path: path,
          reason: "tensor '\(name)': \(entry.shape) strings cannot fit in \(bytes.count) bytes")
      }
      (strings, computed) = try Self.decodeStrings(bytes, count: count, name: name, path: path)
    } else {
      computed = CRC32C.checksum(bytes)
    }
    guard CRC32C.unmask(entry.maskedCRC) == computed else {
      throw KMeansError.corruptFile(
        path: path,
        reason:
          "tensor '\(name)' (bytes \(entry.offset)..<\(entry.offset + entry.size)): checksum mismatch (stored \(SSTableReader.hex(CRC32C.unmask(entry.maskedCRC))), computed \(SSTableReader.hex(computed)))"
      )
    }
    var tensor = BundleTensor(
      name: name, dataType: entry.dataType, shape: entry.shape, bytes: bytes)
    tensor.strings = strings
    return tensor
  }

  /// String tensors: varint lengths, a masked CRC of the lengths, then the bytes. Returns the
  /// strings and the tensor's CRC, taken over the lengths (as 32-bit words), the stored length
  /// CRC and the string bytes, as TensorFlow computes it.
  static func decodeStrings(_ bytes: [UInt8], count: Int, name: String, path: String) throws -> (
    [[UInt8]], UInt32
  ) {
    var reader = ProtoReader(bytes, context: path)
    var lengths: [Int] = []
    var lengthCRC: UInt32 = 0
    for _ in 0..<count {
      let length = try reader.varint()
      lengths.append(Int(clamping: length))  // checked against the bytes below
      if length <= UInt64(UInt32.max) {
        lengthCRC = CRC32C.checksum(
          littleEndianBytes(UInt32(length)), continuing: lengthCRC)
      } else {
        lengthCRC = CRC32C.checksum(
          littleEndianBytes(length), continuing: lengthCRC)
      }
    }
    guard reader.position + 4 <= bytes.count else {
      throw KMeansError.corruptFile(path: path, reason: "string tensor '\(name)' is truncated")
    }
    var stored: UInt32 = 0
    for index in 0..<4 { stored |= UInt32(bytes[reader.position + index]) << (8 * UInt32(index)) }
    guard CRC32C.unmask(stored) == lengthCRC else {
      throw KMeansError.corruptFile(
        path: path, reason: "string tensor '\(name)': length checksum mismatch")
    }
    var crc = CRC32C.checksum(bytes[reader.position..<(reader.position + 4)], continuing: lengthCRC)
    var position = reader.position + 4
    var strings: [[UInt8]] = []
    for length in lengths {
      guard length <= bytes.count - position else {
        throw KMeansError.corruptFile(path: path, reason: "string tensor '\(name)' is truncated")
      }
      let string = Array(bytes[position..<(position + length)])
      crc = CRC32C.checksum(string, continuing: crc)
      strings.append(string)
      position += length
    }
    return (strings, crc)
  }
}
