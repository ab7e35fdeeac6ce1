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

/// `value`'s bytes, least significant first.
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  var bytes: [UInt8] = []
  bytes.appendLittleEndian(value)
  return bytes
}
