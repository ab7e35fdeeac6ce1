import Foundation
import KMeans
import KMeansKernels

/// SciPy's sparse `.npz` files (`scipy.sparse.save_npz`): a ZIP archive of `.npy` members
/// `data`, `indices`, `indptr`, `shape` and `format`, compressed (deflate) or stored.
///
/// Reading accepts the `csr` format with float32/float64 values and int32/int64 indices;
/// other formats (`csc`, `coo`, …) are errors that say how to convert them.
public enum SciPySparseFile {
  /// Reads a CSR matrix from `path`.
  public static func read<Scalar: KMeansScalar>(_ path: String, as _: Scalar.Type = Scalar.self)
    throws -> SparseMatrix<Scalar>
  {
    let archive = try ZipArchive(data: AtomicFile.read(path), path: path)
    func member(_ name: String) throws -> Data {
      guard let data = try archive.member(named: name + ".npy") else {
        throw KMeansError.corruptFile(
          path: path,
          reason:
            "no '\(name).npy' in the archive (members: \(archive.names.joined(separator: ", "))); expected scipy.sparse.save_npz output"
        )
      }
      return data
    }
    let format = try NumPyFile.decodeText(member("format"), path: "\(path):format.npy")
    guard format == "csr" else {
      throw KMeansError.unsupportedFormat(
        path: path,
        reason:
          "sparse format '\(format)'; save a CSR matrix (scipy.sparse.save_npz(path, matrix.tocsr()))"
      )
    }
    let shape = try NumPyFile.decode(member("shape"), path: "\(path):shape.npy", as: Double.self)
    guard shape.rowCount == 2 else {
      throw KMeansError.corruptFile(path: path, reason: "shape.npy holds \(shape.rowCount) values")
    }
    let values = try NumPyFile.decode(member("data"), path: "\(path):data.npy", as: Scalar.self)
    let indices = try NumPyFile.decodeIntegers(member("indices"), path: "\(path):indices.npy")
    let offsets = try NumPyFile.decodeIntegers(member("indptr"), path: "\(path):indptr.npy")
    do {
      return try SparseMatrix(
        rowCount: Int(shape.values[0]), columnCount: Int(shape.values[1]), rowOffsets: offsets,
        columnIndices: indices, values: values.values)
    } catch let error as KMeansError {
      throw KMeansError.corruptFile(path: path, reason: error.description)
    }
  }

  /// Writes a CSR matrix as SciPy does (`save_npz(…, compressed=False)`: stored members,
  /// int32 indices), atomically.
  public static func write<Scalar: KMeansScalar>(_ matrix: SparseMatrix<Scalar>, to path: String)
    throws
  {
    let valueType: NumPyElementType = Scalar.self == Float.self ? .float32 : .float64
    var valueBytes: [UInt8] = []
    valueBytes.appendLittleEndian(matrix.values, as: valueType.stored)
    let values = Data(valueBytes)
    func integers(_ items: [Int], _ type: NumPyElementType) -> Data {
      var payload: [UInt8] = []
      payload.appendLittleEndian(integers: items, as: type.stored)
      return NumPyFile.encode(type: type, shape: [items.count], payload: Data(payload))
    }
    let offsetType: NumPyElementType = matrix.nonZeroCount < Int(Int32.max) ? .int32 : .int64
    let members: [(String, Data)] = [
      ("indices.npy", integers(matrix.columnIndices.map(Int.init), .int32)),
      ("indptr.npy", integers(matrix.rowOffsets, offsetType)),
      ("format.npy", NumPyFile.encodeText("csr")),
      ("shape.npy", integers([matrix.rowCount, matrix.columnCount], .int64)),
      (
        "data.npy", NumPyFile.encode(type: valueType, shape: [matrix.nonZeroCount], payload: values)
      ),
    ]
    try AtomicFile.write(ZipArchive.stored(members), to: path)
  }
}

/// The members of a ZIP archive (stored or deflate), located through its central directory;
/// ZIP64 sizes and offsets are understood.
struct ZipArchive {
  struct Entry {
    var name: String
    var method: Int
    var compressedSize: Int
    var size: Int
    var localHeaderOffset: Int
  }

  let data: Data
  let path: String
  let entries: [Entry]

  var names: [String] { entries.map(\.name) }

  init(data: Data, path: String) throws {
    self.data = data
    self.path = path
    let bytes = [UInt8](data)
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }
    func corrupt(_ reason: String) -> KMeansError {
      KMeansError.corruptFile(path: path, reason: reason)
    }
    // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
    guard bytes.count >= 22 else { throw corrupt("too short for a ZIP archive") }
    var end = bytes.count - 22
    while end >= max(0, bytes.count - 22 - 65535), u32(end) != 0x0605_4B50 { end -= 1 }
    guard end >= 0, u32(end) == 0x0605_4B50 else {
      throw corrupt("not a ZIP archive (.npz): no end-of-central-directory record")
    }
    var count = u16(end + 10)
    var directory = u32(end + 16)
    // ZIP64: the locator just before points to the ZIP64 end record.
    if (count == 0xFFFF || directory == 0xFFFF_FFFF) && end >= 20 && u32(end - 20) == 0x0706_4B50 {
      let record = u64(end - 20 + 8)
      guard record + 56 <= bytes.count, u32(record) == 0x0606_4B50 else {
        throw corrupt("bad ZIP64 end record")
      }
      count = u64(record + 32)
      directory = u64(record + 48)
    }
    var entries: [Entry] = []
    var cursor = directory
    for _ in 0..<count {
      guard cursor + 46 <= bytes.count, u32(cursor) == 0x0201_4B50 else {
        throw corrupt("bad central directory entry at byte \(cursor)")
      }
      let nameLength = u16(cursor + 28)
      let extraLength = u16(cursor + 30)
      let commentLength = u16(cursor + 32)
      guard cursor + 46 + nameLength + extraLength <= bytes.count else {
        throw corrupt("truncated central directory")
      }
      var entry = Entry(
        name: String(decoding: bytes[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self),
        method: u16(cursor + 10), compressedSize: u32(cursor + 20), size: u32(cursor + 24),
        localHeaderOffset: u32(cursor + 42))
      // ZIP64 extra field: the 64-bit values, in order, for each 32-bit field that is full.
      var extra = cursor + 46 + nameLength
      let extraEnd = extra + extraLength
      while extra + 4 <= extraEnd {
        let id = u16(extra)
        let length = u16(extra + 2)
        if id == 0x0001 {
          var field = extra + 4
          if entry.size == 0xFFFF_FFFF {
            entry.size = u64(field)
            field += 8
          }
          if entry.compressedSize == 0xFFFF_FFFF {
            entry.compressedSize = u64(field)
            field += 8
          }
          if entry.localHeaderOffset == 0xFFFF_FFFF { entry.localHeaderOffset = u64(field) }
        }
        extra += 4 + length
      }
      entries.append(entry)
      cursor += 46 + nameLength + extraLength + commentLength
    }
    self.entries = entries
  }

  /// The uncompressed bytes of member `name`, or nil when the archive has none.
  func member(named name: String) throws -> Data? {
    guard let entry = entries.first(where: { $0.name == name }) else { return nil }
    let header = entry.localHeaderOffset
    let base = data.startIndex
    guard header + 30 <= data.count else {
      throw KMeansError.corruptFile(path: path, reason: "member '\(name)' lies past the end")
    }
    func u16(_ at: Int) -> Int { Int(data[base + at]) | Int(data[base + at + 1]) << 8 }
    let start = header + 30 + u16(header + 26) + u16(header + 28)
    guard start + entry.compressedSize <= data.count else {
      throw KMeansError.corruptFile(path: path, reason: "member '\(name)' is truncated")
    }
    let compressed = data[(base + start)..<(base + start + entry.compressedSize)]
    switch entry.method {
    case 0:
      return Data(compressed)
    case 8:
      return try inflate(compressed, expectedSize: entry.size, name: name)
    default:
      throw KMeansError.unsupportedFormat(
        path: path, reason: "member '\(name)' uses ZIP compression method \(entry.method)")
    }
  }

  /// Raw deflate (no zlib header), as ZIP stores it.
  private func inflate(_ input: Data, expectedSize: Int, name: String) throws -> Data {
    let (output, status) = Compression.inflateRaw(input, expectedSize: expectedSize)
    guard let output else {
      throw KMeansError.corruptFile(
        path: path, reason: "member '\(name)' does not inflate (zlib status \(status))")
    }
    return output
  }

  /// A ZIP archive of stored (uncompressed) members, as `numpy.savez` writes.
  static func stored(_ members: [(String, Data)]) -> Data {
    var archive = Data()
    var directory = Data()
    func append16(_ value: Int, to data: inout Data) { data.appendLittleEndian(UInt16(value)) }
    func append32(_ value: Int, to data: inout Data) {
      data.appendLittleEndian(UInt32(truncatingIfNeeded: value))
    }
    for (name, payload) in members {
      let offset = archive.count
      let crc = Int(Compression.crc32(payload))
      let nameBytes = Data(name.utf8)
      // Local file header: signature; version, flags, method (stored), time, date.
      append32(0x0403_4B50, to: &archive)
      for value in [20, 0, 0, 0, 0x21] { append16(value, to: &archive) }
      append32(crc, to: &archive)
      append32(payload.count, to: &archive)
      append32(payload.count, to: &archive)
      append16(nameBytes.count, to: &archive)
      append16(0, to: &archive)
      archive.append(nameBytes)
      archive.append(payload)
      // Central directory entry.
      append32(0x0201_4B50, to: &directory)
      for value in [20, 20, 0, 0, 0, 0x21] { append16(value, to: &directory) }
      append32(crc, to: &directory)
      append32(payload.count, to: &directory)
      append32(payload.count, to: &directory)
      append16(nameBytes.count, to: &directory)
      for _ in 0..<4 { append16(0, to: &directory) }  // extra, comment, disk, internal attributes
      append32(0, to: &directory)  // external attributes
      append32(offset, to: &directory)
      directory.append(nameBytes)
    }
    let directoryOffset = archive.count
    archive.append(directory)
    append32(0x0605_4B50, to: &archive)
    append16(0, to: &archive)
    append16(0, to: &archive)
    append16(members.count, to: &archive)
    append16(members.count, to: &archive)
    append32(directory.count, to: &archive)
    append32(directoryOffset, to: &archive)
    append16(0, to: &archive)
    return archive
  }
}
