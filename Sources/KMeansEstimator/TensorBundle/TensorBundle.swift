import Foundation
import KMeans
import KMeansBytes
import KMeansIO

/// TensorFlow's `DataType` values for the tensors a bundle holds.
public enum TensorDataType: Int, Sendable, CustomStringConvertible {
  case float = 1
  case double = 2
  case int32 = 3
  case uint8 = 4
  case int16 = 5
  case int8 = 6
  case string = 7
  case int64 = 9
  case bool = 10
  case uint16 = 17
  case half = 19
  case uint32 = 22
  case uint64 = 23

  /// Bytes per element; nil for strings.
  public var elementSize: Int? {
    switch self {
    case .uint8, .int8, .bool: return 1
    case .int16, .uint16, .half: return 2
    case .float, .int32, .uint32: return 4
    case .double, .int64, .uint64: return 8
    case .string: return nil
    }
  }

  /// TensorFlow's name: `float32`, `int64`, `bool`, …
  public var description: String {
    switch self {
    case .float: return "float32"
    case .double: return "float64"
    case .int32: return "int32"
    case .uint8: return "uint8"
    case .int16: return "int16"
    case .int8: return "int8"
    case .string: return "string"
    case .int64: return "int64"
    case .bool: return "bool"
    case .uint16: return "uint16"
    case .half: return "float16"
    case .uint32: return "uint32"
    case .uint64: return "uint64"
    }
  }
}

/// One named tensor of a checkpoint: its type, shape and raw little-endian bytes (row-major).
public struct BundleTensor: Sendable, Equatable {
  /// The variable's name, e.g. `clusters`.
  public var name: String
  /// The element type.
  public var dataType: TensorDataType
  /// The dimensions; `[]` for a scalar.
  public var shape: [Int]
  /// The elements' bytes, row-major, little-endian (for strings: the decoded byte strings).
  public var bytes: [UInt8]
  /// The elements of a string tensor.
  public var strings: [[UInt8]] = []

  /// The number of elements.
  public var elementCount: Int { shape.reduce(1, *) }

  /// A tensor from raw bytes.
  public init(name: String, dataType: TensorDataType, shape: [Int], bytes: [UInt8]) {
    self.name = name
    self.dataType = dataType
    self.shape = shape
    self.bytes = bytes
  }

  /// A float32 tensor.
  public init(name: String, shape: [Int], floats: [Float]) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(floats.count * 4)
    for value in floats { bytes.appendLittleEndian(value) }
    self.init(name: name, dataType: .float, shape: shape, bytes: bytes)
  }

  /// A float64 tensor.
  public init(name: String, shape: [Int], doubles: [Double]) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(doubles.count * 8)
    for value in doubles { bytes.appendLittleEndian(value) }
    self.init(name: name, dataType: .double, shape: shape, bytes: bytes)
  }

  /// An int64 tensor.
  public init(name: String, shape: [Int], int64s: [Int64]) {
    var bytes: [UInt8] = []
    for value in int64s { bytes.appendLittleEndian(value) }
    self.init(name: name, dataType: .int64, shape: shape, bytes: bytes)
  }

  /// A bool scalar.
  public init(name: String, bool: Bool) {
    self.init(name: name, dataType: .bool, shape: [], bytes: [bool ? 1 : 0])
  }

  private func fixedWidth<T: FixedWidthInteger>(_: T.Type) -> [T] {
    stride(from: 0, to: bytes.count, by: MemoryLayout<T>.size).map { offset in
      var value: T = 0
      for index in 0..<MemoryLayout<T>.size {
        value |= T(truncatingIfNeeded: bytes[offset + index]) << (8 * index)
      }
      return value
    }
  }

  /// The elements as floats (float32 or float64 tensors).
  public var floats: [Float] {
    switch dataType {
    case .float: return fixedWidth(UInt32.self).map(Float.init(bitPattern:))
    case .double: return doubles.map(Float.init)
    default: return []
    }
  }

  /// The elements as doubles (float32 or float64 tensors).
  public var doubles: [Double] {
    switch dataType {
    case .double: return fixedWidth(UInt64.self).map(Double.init(bitPattern:))
    case .float: return floats.map(Double.init)
    default: return []
    }
  }

  /// The elements as integers (any integer or bool tensor).
  public var integers: [Int64] {
    switch dataType {
    case .int64: return fixedWidth(Int64.self)
    case .uint64: return fixedWidth(UInt64.self).map { Int64(bitPattern: $0) }
    case .int32: return fixedWidth(Int32.self).map(Int64.init)
    case .uint32: return fixedWidth(UInt32.self).map(Int64.init)
    case .int16: return fixedWidth(Int16.self).map(Int64.init)
    case .uint16: return fixedWidth(UInt16.self).map(Int64.init)
    case .int8: return bytes.map { Int64(Int8(bitPattern: $0)) }
    case .uint8, .bool: return bytes.map(Int64.init)
    default: return []
    }
  }
}

/// Writes TensorFlow V2 checkpoints ("tensor bundles"): `<prefix>.data-00000-of-00001` with
/// the tensors' bytes in name order, then `<prefix>.index`, the sorted table of entries. The
/// bytes equal TensorFlow's own `SaveV2` output for the same tensors.
public enum TensorBundleWriter {
  /// Writes the bundle; each file atomically (temporary file, fsync, rename, directory fsync),
  /// the data file first so that an index never points at missing data.
  /// - Throws: `KMeansError/invalidConfiguration(_:)` for an empty or repeated tensor
  ///   name or a string tensor; `KMeansError/fileUnreadable(path:reason:)` when a file
  ///   cannot be written.
  public static func write(_ tensors: [BundleTensor], prefix: String) throws {
    let sorted = tensors.sorted {
      Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8))
    }
    var data: [UInt8] = []
    var entries: [(key: [UInt8], value: [UInt8])] = []
    var header = ProtoWriter()
    header.varintField(1, 1)  // num_shards
    var version = ProtoWriter()
    version.varintField(1, 1)  // producer
    header.bytesField(3, version.bytes)
    entries.append(([], header.bytes))
    for (position, tensor) in sorted.enumerated() {
      // The index is a sorted table of unique, non-empty names (the empty key is the header).
      guard !tensor.name.isEmpty else {
        throw KMeansError.invalidConfiguration("a tensor of \(prefix) has an empty name")
      }
      guard position == 0 || sorted[position - 1].name != tensor.name else {
        throw KMeansError.invalidConfiguration(
          "two tensors of \(prefix) are both named '\(tensor.name)'")
      }
      guard tensor.dataType != .string else {
        throw KMeansError.invalidConfiguration(
          "tensor '\(tensor.name)' of \(prefix): writing string tensors is not supported")
      }
      let offset = data.count
      data += tensor.bytes
      var entry = ProtoWriter()
      entry.varintField(1, Int64(tensor.dataType.rawValue))
      var shape = ProtoWriter()
      for dimension in tensor.shape {
        var dim = ProtoWriter()
        dim.varintField(1, Int64(dimension))
        shape.bytesField(2, dim.bytes)
      }
      entry.bytesField(2, shape.bytes)
      entry.varintField(4, Int64(offset))
      entry.varintField(5, Int64(tensor.bytes.count))
      entry.fixed32Field(6, CRC32C.mask(CRC32C.checksum(tensor.bytes)))
      entries.append((Array(tensor.name.utf8), entry.bytes))
    }
    var table = SSTableWriter()
    for (key, value) in entries { table.add(key: key, value: value) }
    try AtomicFile.write(Data(data), to: dataPath(prefix: prefix, shard: 0, of: 1))
    try AtomicFile.write(Data(table.finish()), to: prefix + ".index")
  }

  /// `<prefix>.data-%05d-of-%05d`.
  public static func dataPath(prefix: String, shard: Int, of count: Int) -> String {
    func five(_ value: Int) -> String {
      let digits = String(value)
      return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
    return "\(prefix).data-\(five(shard))-of-\(five(count))"
  }
}

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

/// `value`'s bytes, least significant first.
private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  var bytes: [UInt8] = []
  bytes.appendLittleEndian(value)
  return bytes
}
