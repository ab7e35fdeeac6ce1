import KMeans
import KMeansBytes

/// The few pieces of the protocol-buffer wire format that tensor bundles use: varints,
/// length-delimited fields and fixed32, written in field order with zero scalars omitted.
struct ProtoWriter {
  private(set) var bytes: [UInt8] = []

  mutating func varint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7F) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  /// A varint field, omitted when zero (proto3); negative values as 10-byte two's complement.
  mutating func varintField(_ field: Int, _ value: Int64, omitZero: Bool = true) {
    if omitZero && value == 0 { return }
    varint(UInt64(field << 3))
    varint(UInt64(bitPattern: value))
  }

  /// A length-delimited field (a sub-message or bytes), always written.
  mutating func bytesField(_ field: Int, _ value: [UInt8]) {
    varint(UInt64(field << 3 | 2))
    varint(UInt64(value.count))
    bytes += value
  }

  /// A fixed32 field, omitted when zero.
  mutating func fixed32Field(_ field: Int, _ value: UInt32) {
    if value == 0 { return }
    varint(UInt64(field << 3 | 5))
    bytes.appendLittleEndian(value)
  }
}

/// Reads protocol-buffer fields, skipping unknown ones by wire type.
struct ProtoReader {
  let bytes: [UInt8]
  var position = 0
  let context: String

  init(_ bytes: [UInt8], context: String) {
    self.bytes = bytes
    self.context = context
  }

  var atEnd: Bool { position >= bytes.count }

  func corrupt(_ reason: String) -> KMeansError {
    .corruptFile(path: context, reason: reason)
  }

  mutating func varint() throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < bytes.count else { throw corrupt("truncated varint") }
      let byte = bytes[position]
      position += 1
      guard shift < 64 else { throw corrupt("varint longer than 10 bytes") }
      result |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
    }
  }

  /// `value` (read from the file) as an `Int`, or an error naming `what` when it does not fit.
  func int(_ value: UInt64, _ what: String) throws -> Int {
    guard let result = Int(exactly: value) else { throw corrupt("\(what) \(value) is too large") }
    return result
  }

  /// A varint that counts bytes of this message still to come: checked to fit what is left.
  mutating func length(_ what: String) throws -> Int {
    let value = try varint()
    guard value <= UInt64(bytes.count - position) else {
      throw corrupt("\(what) \(value) runs past the end of its message")
    }
    return Int(value)
  }

  /// The next field: its number, wire type and raw payload (varint value, or bytes).
  mutating func field() throws -> (number: Int, wireType: Int, value: UInt64, data: [UInt8]) {
    let tag = try varint()
    let number = Int(truncatingIfNeeded: tag >> 3)
    let wireType = Int(tag & 7)
    switch wireType {
    case 0: return (number, wireType, try varint(), [])
    case 1, 5:
      let width = wireType == 1 ? 8 : 4
      guard width <= bytes.count - position else { throw corrupt("truncated fixed field") }
      var value: UInt64 = 0
      for index in 0..<width { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
      position += width
      return (number, wireType, value, [])
    case 2:
      let length = try length("the length of field \(number)")
      let data = Array(bytes[position..<(position + length)])
      position += length
      return (number, wireType, UInt64(length), data)
    default:
      throw corrupt("unsupported protobuf wire type \(wireType)")
    }
  }
}
