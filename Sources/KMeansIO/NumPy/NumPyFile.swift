import Foundation
import KMeans
import KMeansBytes

/// The element types of a `.npy` file that swift-kmeans reads and writes (little-endian).
///
/// Half-precision and 8-bit data (embeddings saved as float16, bfloat16 from `ml_dtypes`,
/// quantized uint8 or int8 vectors) are read exactly: every such value is a `Float`.
public enum NumPyElementType: String, Sendable, CaseIterable {
  /// `<f4`
  case float32 = "<f4"
  /// `<f8`
  case float64 = "<f8"
  /// `<i4`
  case int32 = "<i4"
  /// `<i8`
  case int64 = "<i8"
  /// `<f2`: IEEE 754 half precision (binary16), NumPy's `float16`.
  case float16 = "<f2"
  /// `<V2`: two raw bytes, which is how `np.save` stores `ml_dtypes.bfloat16`; read as
  /// bfloat16 (the upper half of a float32).
  case bfloat16 = "<V2"
  /// `|u1`: unsigned bytes.
  case uint8 = "<u1"
  /// `|i1`: signed bytes.
  case int8 = "<i1"

  var byteCount: Int { stored.byteCount }

  /// The compact element type that keeps this type's values at their own width, or nil.
  public var compactElement: CompactElement? {
    switch self {
    case .float16: .float16
    case .bfloat16: .bfloat16
    case .uint8: .uint8
    case .int8: .int8
    case .float32, .float64, .int32, .int64: nil
    }
  }

  /// The kernels' name for this element type.
  var stored: StoredElement {
    switch self {
    case .float32: .float32
    case .float64: .float64
    case .int32: .int32
    case .int64: .int64
    case .float16: .float16
    case .bfloat16: .bfloat16
    case .uint8: .uint8
    case .int8: .int8
    }
  }

  /// The header's `descr`: one-byte types carry `|` (no byte order), as NumPy writes them.
  var descr: String {
    byteCount == 1 ? "|" + rawValue.dropFirst() : rawValue
  }
}

/// NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): a magic string, a Python-literal header
/// (`descr`, `fortran_order`, `shape`), then the raw little-endian array in C order.
///
/// Reading accepts float32, float64, float16, bfloat16 (as `ml_dtypes` saves it), int32, int64,
/// uint8 and int8 arrays of one or two dimensions (one dimension reads as a single column),
/// converted exactly to the working precision. Big-endian data, Fortran order, other types and
/// truncated files are errors that name the file and the problem.
public enum NumPyFile {
  /// Reads a 1- or 2-dimensional array as a matrix of `Scalar`.
  ///
  /// The file is read in 8 MiB pieces decoded straight into the matrix, so the peak memory is
  /// the matrix plus one piece (not the file plus the matrix).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func read<Scalar: KMeansScalar>(
    _ path: String, as _: Scalar.Type = Scalar.self
  ) throws -> Matrix<Scalar> {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw KMeansError.fileUnreadable(
        path: path,
        reason: FileManager.default.fileExists(atPath: path)
          ? "cannot read the file" : "no such file")
    }
    defer { try? handle.close() }
    do {
      let fileSize = Int(try handle.seekToEnd())
      try handle.seek(toOffset: 0)
      // The header is at most a few KiB (version 2 allows up to 4 GiB; read what it says).
      var head = try handle.read(upToCount: min(fileSize, 1 << 16)) ?? Data()
      let location = try headerLocation(head, path: path)
      if location.start + location.length > head.count {
        try handle.seek(toOffset: 0)
        head = try handle.read(upToCount: min(fileSize, location.start + location.length)) ?? Data()
      }
      let header = try parseHeader(head, path: path)
      let (rows, columns, count) = (header.rows, header.columns, header.valueCount)
      let width = header.type.byteCount
      try header.checkData(fileLength: fileSize, path: path)
      try handle.seek(toOffset: UInt64(header.dataOffset))
      var values = [Scalar](repeating: 0, count: count)
      let piece = max(1, (8 << 20) / width)
      var done = 0
      while done < count {
        let wanted = min(piece, count - done)
        guard let data = try handle.read(upToCount: wanted * width), data.count == wanted * width
        else {
          throw KMeansError.corruptFile(path: path, reason: "the file ended early")
        }
        LittleEndian.decode(
          header.type.stored, count: wanted, from: data, at: 0, into: &values, startingAt: done)
        done += wanted
      }
      return try Matrix(rowCount: rows, columnCount: columns, values: values)
    } catch let error as KMeansError {
      throw error
    } catch {
      throw KMeansError.fileUnreadable(path: path, reason: "\(error)")
    }
  }

  /// Reads a 1- or 2-dimensional float16, bfloat16, uint8 or int8 array at its own width (half
  /// or a quarter of float32's memory), to be widened to `Scalar` as the engine reads it; nil
  /// for an array of another type (read it with ``read(_:as:)``).
  /// - Throws: `KMeansError` naming the file for a missing, malformed or truncated file.
  public static func readCompact<Scalar: KMeansScalar>(
    _ path: String, as _: Scalar.Type = Scalar.self
  ) throws -> CompactMatrix<Scalar>? {
    try NumPyBatchReader<Scalar>(path).readCompact()
  }

  /// A 1-dimensional int8, uint8, int32 or int64 array held in memory; `path` names it in
  /// errors.
  static func decodeIntegers(_ data: Data, path: String) throws -> [Int] {
    let header = try parseHeader(data, path: path)
    let integerTypes: [NumPyElementType] = [.int32, .int64, .uint8, .int8]
    guard integerTypes.contains(header.type), header.shape.count == 1 else {
      throw KMeansError.unsupportedFormat(
        path: path, reason: "expected a 1-dimensional int8, uint8, int32 or int64 array")
    }
    try header.checkData(fileLength: data.count, path: path)
    guard
      let values = LittleEndian.integers(
        header.type.stored, count: header.valueCount, from: data, at: header.dataOffset)
    else { throw KMeansError.corruptFile(path: path, reason: "truncated data") }
    return values
  }

  /// The string held by a 0-dimensional Unicode array (`<U…`, UTF-32), as SciPy writes the
  /// `format` member of a sparse `.npz`.
  static func decodeText(_ data: Data, path: String) throws -> String {
    let bytes = [UInt8](data)
    let (headerStart, headerLength) = try headerLocation(data, path: path)
    guard bytes.count >= headerStart + headerLength else {
      throw KMeansError.corruptFile(path: path, reason: "truncated header")
    }
    let header = String(
      decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    guard header.contains("'<U") || header.contains("'|S") || header.contains("'S") else {
      throw KMeansError.unsupportedFormat(path: path, reason: "expected a text array: \(header)")
    }
    let payload = bytes[(headerStart + headerLength)...]
    if header.contains("'<U") {
      var scalars = String.UnicodeScalarView()
      var index = payload.startIndex
      while index + 4 <= payload.endIndex {
        let value =
          UInt32(payload[index]) | UInt32(payload[index + 1]) << 8
          | UInt32(payload[index + 2]) << 16 | UInt32(payload[index + 3]) << 24
        if value != 0, let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        index += 4
      }
      return String(scalars)
    }
    return String(decoding: payload.filter { $0 != 0 }, as: UTF8.self)
  }

  /// A 0-dimensional `<U` array holding `text`, as NumPy writes `np.array(text)`.
  static func encodeText(_ text: String) -> Data {
    let scalars = Array(text.unicodeScalars)
    var header =
      "{'descr': '<U\(scalars.count)', 'fortran_order': False, 'shape': (), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes.appendLittleEndian(UInt16(header.utf8.count))
    bytes.append(contentsOf: Array(header.utf8))
    for scalar in scalars { bytes.appendLittleEndian(scalar.value) }
    return Data(bytes)
  }

  /// A 1- or 2-dimensional array held in memory as a matrix; `path` names it in errors.
  static func decode<Scalar: KMeansScalar>(_ data: Data, path: String, as _: Scalar.Type) throws
    -> Matrix<Scalar>
  {
    let header = try parseHeader(data, path: path)
    let (rows, columns, count) = (header.rows, header.columns, header.valueCount)
    try header.checkData(fileLength: data.count, path: path)
    guard
      let values = LittleEndian.decode(
        header.type.stored, count: count, from: data, at: header.dataOffset, as: Scalar.self)
    else { throw KMeansError.corruptFile(path: path, reason: "truncated data") }
    return try Matrix(rowCount: rows, columnCount: columns, values: values)
  }

  /// Reads a 1-dimensional integer array (e.g. labels).
  public static func readIntegers(_ path: String) throws -> [Int] {
    // Decoded as integers (not through Double, which would round int64 values past 2^53).
    try decodeIntegers(AtomicFile.read(path), path: path)
  }

  /// Writes a matrix as a 2-dimensional array of its own precision, atomically.
  public static func write<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>, to path: String) throws {
    let type: NumPyElementType = Scalar.self == Float.self ? .float32 : .float64
    var payload: [UInt8] = []
    payload.appendLittleEndian(matrix.values, as: type.stored)
    try AtomicFile.write(
      encode(type: type, shape: [matrix.rowCount, matrix.columnCount], payload: Data(payload)),
      to: path)
  }

  /// Writes integers (e.g. cluster labels) as a 1-dimensional array of `type`, atomically.
  public static func write(_ integers: [Int], as type: NumPyElementType = .int32, to path: String)
    throws
  {
    var payload: [UInt8] = []
    payload.appendLittleEndian(integers: integers, as: type.stored)
    try AtomicFile.write(
      encode(type: type, shape: [integers.count], payload: Data(payload)), to: path)
  }

  /// A version 1.0 file: the header is padded with spaces so the data starts on a multiple of
  /// 64 bytes, as NumPy writes it.
  static func encode(type: NumPyElementType, shape: [Int], payload: Data) -> Data {
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    var header = "{'descr': '\(type.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(UInt8(length & 0xFF))
    data.append(UInt8(length >> 8))
    data.append(contentsOf: Array(header.utf8))
    data.append(payload)
    return data
  }

  struct Header {
    var type: NumPyElementType
    var shape: [Int]
    var dataOffset: Int
    /// The number of elements: the product of the shape (checked against overflow).
    var valueCount: Int
    /// The bytes of the array after the header (checked against overflow).
    var byteCount: Int

    /// The rows: the first dimension (a 1-dimensional array is one column).
    var rows: Int { shape.first ?? 1 }
    /// The columns: the second dimension, or 1.
    var columns: Int { shape.count == 2 ? shape[1] : 1 }

    /// Throws unless a file of `length` bytes holds every value the header promises.
    func checkData(fileLength length: Int, path: String) throws {
      guard length - dataOffset >= byteCount else {
        throw KMeansError.corruptFile(
          path: path,
          reason:
            "the header promises \(valueCount) \(type.rawValue) values, but only \(length - dataOffset) bytes follow"
        )
      }
    }
  }

  /// Where the header text lies, from the magic string and the version's length field (the
  /// first 10 or 12 bytes of `data`).
  static func headerLocation(_ data: Data, path: String) throws -> (start: Int, length: Int) {
    let bytes = [UInt8](data.prefix(12))
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
      throw KMeansError.corruptFile(path: path, reason: "not a .npy file (bad magic string)")
    }
    switch bytes[6] {
    case 1:
      return (10, Int(bytes[8]) | Int(bytes[9]) << 8)
    case 2, 3:
      guard bytes.count >= 12 else {
        throw KMeansError.corruptFile(path: path, reason: "truncated header")
      }
      return (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
    default:
      throw KMeansError.unsupportedFormat(
        path: path, reason: ".npy version \(bytes[6]) is unknown")
    }
  }

  static func parseHeader(_ data: Data, path: String) throws -> Header {
    let (headerStart, headerLength) = try headerLocation(data, path: path)
    guard data.count >= headerStart + headerLength else {
      throw KMeansError.corruptFile(path: path, reason: "truncated header")
    }
    let text = String(
      decoding: data[
        (data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength)],
      as: UTF8.self)
    func value(of key: String) -> Substring? {
      guard let keyRange = text.range(of: "'\(key)':") else { return nil }
      return text[keyRange.upperBound...].drop { $0 == " " }
    }
    guard let descrValue = value(of: "descr"), descrValue.first == "'",
      let descrEnd = descrValue.dropFirst().firstIndex(of: "'")
    else {
      throw KMeansError.corruptFile(path: path, reason: "header has no 'descr'")
    }
    let descr = String(descrValue[descrValue.index(after: descrValue.startIndex)..<descrEnd])
    let normalised = descr.hasPrefix("|") || descr.hasPrefix("=") ? "<" + descr.dropFirst() : descr
    guard let type = NumPyElementType(rawValue: normalised) else {
      let reason =
        descr.hasPrefix(">")
        ? "big-endian data ('\(descr)') is not supported; save it little-endian"
        : "element type '\(descr)' is not supported (use float32, float64, float16, bfloat16, int32, int64, uint8 or int8)"
      throw KMeansError.unsupportedFormat(path: path, reason: reason)
    }
    guard let order = value(of: "fortran_order") else {
      throw KMeansError.corruptFile(path: path, reason: "header has no 'fortran_order'")
    }
    if order.hasPrefix("True") {
      throw KMeansError.unsupportedFormat(
        path: path, reason: "Fortran-ordered arrays are not supported; save in C order")
    }
    guard let shapeValue = value(of: "shape"), shapeValue.first == "(",
      let close = shapeValue.firstIndex(of: ")")
    else {
      throw KMeansError.corruptFile(path: path, reason: "header has no 'shape'")
    }
    let shapeText = shapeValue[shapeValue.index(after: shapeValue.startIndex)..<close]
    var shape: [Int] = []
    for part in shapeText.split(separator: ",") {
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { continue }
      guard let dimension = Int(trimmed), dimension >= 0 else {
        throw KMeansError.corruptFile(path: path, reason: "bad shape '\(shapeText)'")
      }
      shape.append(dimension)
    }
    guard shape.count == 1 || shape.count == 2 else {
      throw KMeansError.unsupportedFormat(
        path: path, reason: "a \(shape.count)-dimensional array; expected 1 or 2 dimensions")
    }
    // Rows without columns hold nothing to cluster, and a header can promise billions of them
    // in a few bytes (a reader would hand out empty batches for ever).
    if shape.count == 2, shape[1] == 0, shape[0] > 0 {
      throw KMeansError.unsupportedFormat(
        path: path, reason: "the array has \(shape[0]) rows of 0 columns: nothing to read")
    }
    // Checked: a crafted header must not overflow the element count or the byte count.
    guard let valueCount = shape.checkedProduct(),
      let byteCount = shape.checkedProduct(startingWith: type.byteCount)
    else {
      throw KMeansError.corruptFile(
        path: path, reason: "the shape \(shape) has more elements than any file can hold")
    }
    return Header(
      type: type, shape: shape, dataOffset: headerStart + headerLength, valueCount: valueCount,
      byteCount: byteCount)
  }
}
