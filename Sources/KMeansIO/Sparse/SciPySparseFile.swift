import Foundation
import KMeans
import KMeansBytes

/// SciPy's sparse `.npz` files (`scipy.sparse.save_npz`): a ZIP archive of `.npy` members
/// `data`, `indices`, `indptr`, `shape` and `format`, compressed (deflate) or stored.
///
/// Reading accepts the `csr` format with float32/float64 values and int32/int64 indices;
/// other formats (`csc`, `coo`, …) are errors that say how to convert them.
public enum SciPySparseFile {
  /// Reads a CSR matrix from `path`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
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
    // The shape is an integer array (SciPy writes int64); read as integers, never through a
    // floating-point conversion that a NaN or a huge value would trap.
    let shape = try NumPyFile.decodeIntegers(member("shape"), path: "\(path):shape.npy")
    guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else {
      throw KMeansError.corruptFile(
        path: path, reason: "shape.npy holds \(shape); expected two sizes ≥ 0")
    }
    let values = try NumPyFile.decode(member("data"), path: "\(path):data.npy", as: Scalar.self)
    let indices = try NumPyFile.decodeIntegers(member("indices"), path: "\(path):indices.npy")
    let offsets = try NumPyFile.decodeIntegers(member("indptr"), path: "\(path):indptr.npy")
    do {
      return try SparseMatrix(
        rowCount: shape[0], columnCount: shape[1], rowOffsets: offsets,
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
    let bytes = data  // read in place: no second copy of the archive
    func corrupt(_ reason: String) -> KMeansError {
      KMeansError.corruptFile(path: path, reason: reason)
    }
    // Every number below comes from the file: each read is bounds-checked and each offset or
    // size is checked to fit in the archive before it is used.
    func u16(_ at: Int) throws -> Int {
      Int(try Self.field(UInt16.self, of: bytes, at: at, path: path))
    }
    func u32(_ at: Int) throws -> Int {
      Int(try Self.field(UInt32.self, of: bytes, at: at, path: path))
    }
    func u64(_ at: Int, _ what: String) throws -> Int {
      let value = try Self.field(UInt64.self, of: bytes, at: at, path: path)
      guard let result = Int(exactly: value), result <= bytes.count else {
        throw corrupt(
          "the ZIP64 \(what) \(value) at byte \(at) exceeds the archive's \(bytes.count) bytes")
      }
      return result
    }
    // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
    guard bytes.count >= 22 else { throw corrupt("too short for a ZIP archive") }
    var end = bytes.count - 22
    while end > max(0, bytes.count - 22 - 65535), try u32(end) != 0x0605_4B50 { end -= 1 }
    guard try u32(end) == 0x0605_4B50 else {
      throw corrupt("not a ZIP archive (.npz): no end-of-central-directory record")
    }
    var count = try u16(end + 10)
    var directory = try u32(end + 16)
    // ZIP64: the locator just before points to the ZIP64 end record.
    if count == 0xFFFF || directory == 0xFFFF_FFFF, end >= 20, try u32(end - 20) == 0x0706_4B50 {
      let record = try u64(end - 20 + 8, "end record offset")
      guard record <= bytes.count - 56, try u32(record) == 0x0606_4B50 else {
        throw corrupt("bad ZIP64 end record")
      }
      count = try u64(record + 32, "entry count")
      directory = try u64(record + 48, "directory offset")
    }
    // Each entry takes at least 46 bytes, so a count the archive cannot hold is corrupt (and
    // is refused before anything is allocated for it).
    guard count <= bytes.count / 46 else {
      throw corrupt(
        "the directory claims \(count) members, more than \(bytes.count) bytes can hold")
    }
    var entries: [Entry] = []
    var cursor = directory
    for _ in 0..<count {
      guard cursor <= bytes.count - 46, try u32(cursor) == 0x0201_4B50 else {
        throw corrupt("bad central directory entry at byte \(cursor)")
      }
      let nameLength = try u16(cursor + 28)
      let extraLength = try u16(cursor + 30)
      let commentLength = try u16(cursor + 32)
      guard cursor + 46 + nameLength + extraLength <= bytes.count else {
        throw corrupt("truncated central directory")
      }
      var entry = Entry(
        name: String(decoding: bytes.dropFirst(cursor + 46).prefix(nameLength), as: UTF8.self),
        method: try u16(cursor + 10), compressedSize: try u32(cursor + 20),
        size: try u32(cursor + 24), localHeaderOffset: try u32(cursor + 42))
      try Self.readZIP64Fields(
        of: &entry, in: bytes, from: cursor + 46 + nameLength, length: extraLength, path: path)
      entries.append(entry)
      cursor += 46 + nameLength + extraLength + commentLength
    }
    self.entries = entries
  }

  /// The ZIP64 extra field of a central-directory entry (bytes `start ..< start + length`):
  /// the 64-bit values, in order, for each of the entry's 32-bit fields that is full.
  private static func readZIP64Fields(
    of entry: inout Entry, in bytes: Data, from start: Int, length extraLength: Int, path: String
  ) throws {
    func corrupt(_ reason: String) -> KMeansError {
      KMeansError.corruptFile(path: path, reason: reason)
    }
    func u16(_ at: Int) throws -> Int {
      Int(try field(UInt16.self, of: bytes, at: at, path: path))
    }
    func u64(_ at: Int, _ what: String) throws -> Int {
      let value = try field(UInt64.self, of: bytes, at: at, path: path)
      guard let result = Int(exactly: value), result <= bytes.count else {
        throw corrupt(
          "the ZIP64 \(what) \(value) at byte \(at) exceeds the archive's \(bytes.count) bytes")
      }
      return result
    }
    var extra = start
    let extraEnd = extra + extraLength
    while extra + 4 <= extraEnd {
      let id = try u16(extra)
      let length = try u16(extra + 2)
      if id == 0x0001 {
        var field = extra + 4
        func next(_ what: String) throws -> Int {
          guard field + 8 <= min(extraEnd, extra + 4 + length) else {
            throw corrupt("a ZIP64 extra field of member '\(entry.name)' is too short")
          }
          defer { field += 8 }
          return try u64(field, what)
        }
        if entry.size == 0xFFFF_FFFF { entry.size = try next("size") }
        if entry.compressedSize == 0xFFFF_FFFF {
          entry.compressedSize = try next("compressed size")
        }
        if entry.localHeaderOffset == 0xFFFF_FFFF {
          entry.localHeaderOffset = try next("header offset")
        }
      }
      extra += 4 + length
    }
  }

  /// The little-endian `T` at byte `at` of `bytes`; an error when it lies past the end.
  private static func field<T: FixedWidthInteger>(
    _: T.Type, of bytes: some DataProtocol & ContiguousBytes, at: Int, path: String
  ) throws -> T {
    guard let value = LittleEndian.read(T.self, from: bytes, at: at) else {
      throw KMeansError.corruptFile(
        path: path, reason: "a field at byte \(at) lies past the end of the archive")
    }
    return value
  }

  /// The most that raw deflate can expand: 1,032 output bytes per input byte (RFC 1951's
  /// longest match from a 2-bit code), plus a little for the final block.
  static let largestInflationRatio = 1032

  /// The uncompressed bytes of member `name`, or nil when the archive has none.
  func member(named name: String) throws -> Data? {
    guard let entry = entries.first(where: { $0.name == name }) else { return nil }
    let header = entry.localHeaderOffset
    let base = data.startIndex
    guard header >= 0, header <= data.count - 30 else {
      throw KMeansError.corruptFile(path: path, reason: "member '\(name)' lies past the end")
    }
    let nameLength = try Self.field(UInt16.self, of: data, at: header + 26, path: path)
    let extraLength = try Self.field(UInt16.self, of: data, at: header + 28, path: path)
    let start = header + 30 + Int(nameLength) + Int(extraLength)
    guard entry.compressedSize >= 0, start <= data.count,
      entry.compressedSize <= data.count - start
    else {
      throw KMeansError.corruptFile(path: path, reason: "member '\(name)' is truncated")
    }
    let compressed = data[(base + start)..<(base + start + entry.compressedSize)]
    switch entry.method {
    case 0:
      guard entry.size == entry.compressedSize else {
        throw KMeansError.corruptFile(
          path: path,
          reason:
            "stored member '\(name)' has size \(entry.size) but \(entry.compressedSize) stored bytes"
        )
      }
      return Data(compressed)
    case 8:
      // A size that this many compressed bytes cannot inflate to is refused before the output
      // buffer is allocated (a crafted size must not reserve gigabytes).
      guard entry.size >= 0, entry.size / Self.largestInflationRatio <= entry.compressedSize + 1
      else {
        throw KMeansError.corruptFile(
          path: path,
          reason:
            "member '\(name)' claims \(entry.size) bytes from \(entry.compressedSize) compressed bytes, more than deflate can give"
        )
      }
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
