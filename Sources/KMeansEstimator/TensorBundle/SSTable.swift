import KMeans
import KMeansBytes

/// A LevelDB-format sorted table, as TensorFlow writes a bundle's `.index` (no compression,
/// 256 KiB blocks, restart interval 16 for data blocks and 1 for the index block).
///
/// Writing follows LevelDB's `TableBuilder` step for step, so the bytes equal TensorFlow's.
struct SSTableWriter {
  static let blockSize = 262_144
  static let footerLength = 48
  static let magic: UInt64 = 0xDB47_7524_8B80_FB57

  private(set) var output: [UInt8] = []
  private var dataBlock = BlockBuilder(restartInterval: 16)
  private var indexBlock = BlockBuilder(restartInterval: 1)
  private var lastKey: [UInt8] = []
  private var pendingHandle: BlockHandle? = nil
  private var entryCount = 0

  /// Adds a pair; keys must arrive in strictly increasing bytewise order.
  mutating func add(key: [UInt8], value: [UInt8]) {
    precondition(entryCount == 0 || lastKey.lexicographicallyPrecedes(key), "keys out of order")
    entryCount += 1
    if let handle = pendingHandle {
      indexBlock.add(key: Self.shortestSeparator(lastKey, key), value: handle.encoded)
      pendingHandle = nil
    }
    if !dataBlock.isEmpty && key.count + value.count >= 2 * Self.blockSize { flush() }
    dataBlock.add(key: key, value: value)
    lastKey = key
    if dataBlock.estimatedSize >= Self.blockSize { flush() }
  }

  private mutating func flush() {
    guard !dataBlock.isEmpty else { return }
    pendingHandle = writeBlock(dataBlock.finish())
    dataBlock = BlockBuilder(restartInterval: 16)
  }

  private mutating func writeBlock(_ contents: [UInt8]) -> BlockHandle {
    let handle = BlockHandle(offset: UInt64(output.count), size: UInt64(contents.count))
    output += contents
    output.append(0)  // Block type: uncompressed.
    let crc = CRC32C.mask(CRC32C.checksum(contents + [0]))
    output.appendLittleEndian(crc)
    return handle
  }

  /// Flushes the last block and writes the empty metaindex, the index and the footer.
  mutating func finish() -> [UInt8] {
    flush()
    let metaindex = writeBlock(BlockBuilder(restartInterval: 16).finish())
    if let handle = pendingHandle {
      indexBlock.add(key: Self.shortSuccessor(lastKey), value: handle.encoded)
      pendingHandle = nil
    }
    let index = writeBlock(indexBlock.finish())
    var footer = metaindex.encoded + index.encoded
    footer += [UInt8](repeating: 0, count: 40 - footer.count)
    footer.appendLittleEndian(Self.magic)
    output += footer
    return output
  }

  /// LevelDB's `FindShortestSeparator`: a short key ≥ `start` and < `limit`.
  static func shortestSeparator(_ start: [UInt8], _ limit: [UInt8]) -> [UInt8] {
    var shared = 0
    while shared < min(start.count, limit.count) && start[shared] == limit[shared] { shared += 1 }
    guard shared < min(start.count, limit.count) else { return start }
    let byte = start[shared]
    if byte < 0xFF && byte + 1 < limit[shared] {
      return Array(start[..<shared]) + [byte + 1]
    }
    return start
  }

  /// LevelDB's `FindShortSuccessor`: the first byte that is not 0xff, incremented, ends it.
  static func shortSuccessor(_ key: [UInt8]) -> [UInt8] {
    for (index, byte) in key.enumerated() where byte != 0xFF {
      return Array(key[..<index]) + [byte + 1]
    }
    return key
  }
}

/// Where a block lies in the file (its size excludes the 5-byte trailer).
struct BlockHandle: Equatable {
  var offset: UInt64
  var size: UInt64

  var encoded: [UInt8] {
    var writer = ProtoWriter()
    writer.varint(offset)
    writer.varint(size)
    return writer.bytes
  }
}

/// Builds one block: prefix-compressed entries and a restart array.
struct BlockBuilder {
  let restartInterval: Int
  private var buffer: [UInt8] = []
  private var restarts: [UInt32] = [0]
  private var counter = 0
  private var lastKey: [UInt8] = []
  private(set) var isEmpty = true

  init(restartInterval: Int) { self.restartInterval = restartInterval }

  var estimatedSize: Int { buffer.count + restarts.count * 4 + 4 }

  mutating func add(key: [UInt8], value: [UInt8]) {
    var shared = 0
    if counter < restartInterval {
      while shared < min(lastKey.count, key.count) && lastKey[shared] == key[shared] { shared += 1 }
    } else {
      restarts.append(UInt32(buffer.count))
      counter = 0
    }
    var header = ProtoWriter()
    header.varint(UInt64(shared))
    header.varint(UInt64(key.count - shared))
    header.varint(UInt64(value.count))
    buffer += header.bytes
    buffer += key[shared...]
    buffer += value
    lastKey = key
    counter += 1
    isEmpty = false
  }

  func finish() -> [UInt8] {
    var contents = buffer
    for restart in restarts { contents.appendLittleEndian(restart) }
    contents.appendLittleEndian(UInt32(restarts.count))
    return contents
  }
}

/// Reads every key/value pair of a sorted table, checking each block's CRC.
enum SSTableReader {
  static func entries(of file: [UInt8], path: String) throws -> [(key: [UInt8], value: [UInt8])] {
    func corrupt(_ reason: String) -> KMeansError { .corruptFile(path: path, reason: reason) }
    guard file.count >= SSTableWriter.footerLength else {
      throw corrupt("\(file.count) bytes is too short for a checkpoint index (at least 48)")
    }
    let footer = Array(file[(file.count - SSTableWriter.footerLength)...])
    var magic: UInt64 = 0
    for index in 0..<8 { magic |= UInt64(footer[40 + index]) << (8 * UInt64(index)) }
    guard magic == SSTableWriter.magic else {
      throw corrupt("bad magic number: not a TensorFlow checkpoint index")
    }
    var handles = ProtoReader(Array(footer[0..<40]), context: path)
    _ = try handles.varint()  // metaindex offset
    _ = try handles.varint()  // metaindex size
    let indexHandle = BlockHandle(offset: try handles.varint(), size: try handles.varint())

    func block(_ handle: BlockHandle) throws -> [UInt8] {
      // The handle's numbers come from the file: compared in UInt64, never added unchecked.
      let trailer: UInt64 = 5  // the block type and its CRC32C
      guard handle.size <= UInt64(file.count), handle.offset <= UInt64(file.count) - handle.size,
        trailer <= UInt64(file.count) - handle.size - handle.offset
      else {
        throw corrupt(
          "a block handle (offset \(handle.offset), size \(handle.size)) points past the end of the file (\(file.count) bytes)"
        )
      }
      let (start, size) = (Int(handle.offset), Int(handle.size))
      let contents = Array(file[start..<(start + size)])
      let type = file[start + size]
      guard type == 0 else {
        throw KMeansError.unsupportedFormat(
          path: path, reason: "compressed index blocks (type \(type)) are not supported")
      }
      var stored: UInt32 = 0
      for index in 0..<4 { stored |= UInt32(file[start + size + 1 + index]) << (8 * UInt32(index)) }
      let computed = CRC32C.checksum(contents + [type])
      guard CRC32C.unmask(stored) == computed else {
        throw corrupt(
          "block at byte \(start): checksum mismatch (stored \(hex(CRC32C.unmask(stored))), computed \(hex(computed)))"
        )
      }
      return contents
    }

    func decode(_ contents: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
      guard contents.count >= 4 else { throw corrupt("a block is shorter than its restart count") }
      var count: UInt32 = 0
      for index in 0..<4 {
        count |= UInt32(contents[contents.count - 4 + index]) << (8 * UInt32(index))
      }
      let limit = contents.count - 4 * (Int(count) + 1)
      guard limit >= 0 else { throw corrupt("a block's restart array is larger than the block") }
      var reader = ProtoReader(Array(contents[..<limit]), context: path)
      var result: [(key: [UInt8], value: [UInt8])] = []
      var previous: [UInt8] = []
      while !reader.atEnd {
        let shared = try reader.int(reader.varint(), "a shared key length")
        let unshared = try reader.length("an unshared key length")
        let valueLength = try reader.int(reader.varint(), "a value length")
        let start = reader.position
        guard shared <= previous.count, valueLength <= limit - start - unshared else {
          throw corrupt("a block entry runs past its block")
        }
        let key = Array(previous[..<shared]) + reader.bytes[start..<(start + unshared)]
        let value = Array(reader.bytes[(start + unshared)..<(start + unshared + valueLength)])
        reader.position = start + unshared + valueLength
        result.append((key, value))
        previous = key
      }
      return result
    }

    var entries: [(key: [UInt8], value: [UInt8])] = []
    for (_, handleBytes) in try decode(block(indexHandle)) {
      var handleReader = ProtoReader(handleBytes, context: path)
      let handle = BlockHandle(offset: try handleReader.varint(), size: try handleReader.varint())
      entries += try decode(block(handle))
    }
    return entries
  }

  static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
  }
}
