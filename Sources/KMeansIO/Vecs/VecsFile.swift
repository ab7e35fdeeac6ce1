import Foundation
import KMeans
import KMeansBytes

/// The TEXMEX vector formats of ANN benchmarks (SIFT1M, GIST1M, …): each vector is an int32
/// dimension d followed by d elements — float32 (`.fvecs`), uint8 (`.bvecs`) or int32
/// (`.ivecs`), all little-endian.
public enum VecsFormat: String, Sendable, CaseIterable {
  /// float32 elements.
  case fvecs
  /// uint8 elements.
  case bvecs
  /// int32 elements.
  case ivecs

  /// The format named by a path's extension, or nil.
  public init?(path: String) {
    self.init(rawValue: (path as NSString).pathExtension.lowercased())
  }

  var elementSize: Int { stored.byteCount }

  /// The kernels' name for the element type.
  var stored: StoredElement {
    switch self {
    case .fvecs: .float32
    case .bvecs: .uint8
    case .ivecs: .int32
    }
  }
}

// Safety: the reader's position changes only in nextBatch and rewind, which its one owner
// calls from one thread at a time (as the engine does); Sendable lets the owner hand it to
// another thread, not share it.
/// A `.fvecs`/`.bvecs`/`.ivecs` file, memory-mapped and read in row ranges (every vector has
/// the same dimension, so row i starts at i × (4 + d × element size)). Pages of rows already
/// delivered by ``nextBatch(maxRows:)`` are released, so streaming stays in bounded memory.
///
/// Read it from one thread at a time; it may move between threads.
public final class VecsReader<Scalar: KMeansScalar>: BatchSource, @unchecked Sendable {
  /// The file.
  public let path: String
  /// Its format.
  public let format: VecsFormat
  /// The number of vectors.
  public let totalRows: Int
  /// The dimension.
  public let columnCount: Int
  /// Known from the file size.
  public var rowCount: Int? { totalRows }

  private let file: MappedFile
  private let rowBytes: Int
  private var cursor = 0

  /// Maps the file and checks that its size is a whole number of vectors of the first
  /// vector's dimension.
  /// - Throws: `KMeansError` naming the file for a missing, empty, truncated or
  ///   unknown-format file.
  public init(_ path: String) throws {
    guard let format = VecsFormat(path: path) else {
      throw KMeansError.unsupportedFormat(path: path, reason: "expected .fvecs, .bvecs or .ivecs")
    }
    self.path = path
    self.format = format
    do {
      file = try MappedFile(path: path)
    } catch let failure as MappedFile.Failure {
      throw KMeansError.fileUnreadable(path: path, reason: failure.reason)
    }
    let length = file.length
    guard length >= 4 else { throw KMeansError.emptyInput("\(path) holds no vectors") }
    let first = try LittleEndian.read(Int32.self, from: file.bytes(0..<4), at: 0) ?? 0
    let dimension = Int(first)
    guard dimension > 0 else {
      throw KMeansError.corruptFile(path: path, reason: "vector 0 has dimension \(dimension)")
    }
    rowBytes = 4 + dimension * format.elementSize
    guard length % rowBytes == 0 else {
      throw KMeansError.corruptFile(
        path: path,
        reason:
          "\(length) bytes is not a whole number of \(dimension)-dimensional vectors (\(rowBytes) bytes each): truncated, or vectors of different dimensions"
      )
    }
    columnCount = dimension
    totalRows = length / rowBytes
  }

  /// The given rows as a matrix, checking each vector's dimension.
  /// - Throws: `KMeansError/shapeMismatch(_:)` for rows outside the file.
  public func rows(_ range: Range<Int>) throws -> Matrix<Scalar> {
    guard range.lowerBound >= 0, range.upperBound <= totalRows else {
      throw KMeansError.shapeMismatch("\(path): rows \(range) asked for, the file has \(totalRows)")
    }
    do {
      let values: [Scalar] = try file.decodeRows(format.stored, width: columnCount, rows: range)
      return try Matrix(rowCount: range.count, columnCount: columnCount, values: values)
    } catch let failure as MappedFile.Failure {
      throw KMeansError.corruptFile(path: path, reason: failure.reason)
    }
  }

  /// Every vector.
  public func readAll() throws -> Matrix<Scalar> { try rows(0..<totalRows) }

  /// Every vector of a `.bvecs` file kept as bytes (a quarter of float32's memory), widened
  /// as the engine reads them; nil for `.fvecs` and `.ivecs`.
  /// - Throws: `KMeansError/corruptFile(path:reason:)` for a vector of another dimension.
  public func readCompact() throws -> CompactMatrix<Scalar>? {
    guard format == .bvecs else { return nil }
    do {
      let bytes = try file.vectorPayloads(
        width: columnCount, elementBytes: 1, rows: 0..<totalRows)
      return try CompactMatrix(
        rowCount: totalRows, columnCount: columnCount, element: .uint8, bytes: bytes)
    } catch let failure as MappedFile.Failure {
      throw KMeansError.corruptFile(path: path, reason: failure.reason)
    }
  }

  /// The next vectors in file order, releasing the pages of those delivered before.
  public func nextBatch(maxRows: Int) throws -> Matrix<Scalar>? {
    guard maxRows > 0 else {
      throw KMeansError.invalidConfiguration("batches of \(maxRows) rows; they need at least 1")
    }
    guard cursor < totalRows else { return nil }
    file.release(before: cursor * rowBytes)
    let range = cursor..<min(totalRows, cursor + maxRows)
    cursor = range.upperBound
    return try rows(range)
  }

  /// Starts again from the first vector.
  public func rewind() throws {
    file.resetRelease()
    cursor = 0
  }
}

/// Reading and writing TEXMEX vector files whole: `.fvecs` (centers), `.bvecs`, and `.ivecs`
/// (labels, one 1-dimensional vector per row). ``VecsReader`` reads them a batch at a time.
public enum VecsFile {
  /// Every row of an `.fvecs`, `.bvecs` or `.ivecs` file (see ``VecsReader``).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func read<Scalar: KMeansScalar>(_ path: String, as _: Scalar.Type = Scalar.self)
    throws -> Matrix<Scalar>
  {
    try VecsReader<Scalar>(path).readAll()
  }

  /// Writes each row as a float32 vector, atomically.
  public static func write<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>, to path: String)
    throws
  {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(matrix.rowCount * (4 + 4 * matrix.columnCount))
    for row in 0..<matrix.rowCount {
      bytes.appendLittleEndian(Int32(matrix.columnCount))
      bytes.appendLittleEndian(matrix.row(row), as: .float32)
    }
    try AtomicFile.write(Data(bytes), to: path)
  }

  /// Writes each integer as a 1-dimensional int32 vector (the layout of ANN ground-truth
  /// files, with one neighbour), atomically.
  public static func write(_ values: [Int], to path: String) throws {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(values.count * 8)
    for value in values {
      bytes.appendLittleEndian(Int32(1))
      bytes.appendLittleEndian(Int32(clamping: value))
    }
    try AtomicFile.write(Data(bytes), to: path)
  }
}
