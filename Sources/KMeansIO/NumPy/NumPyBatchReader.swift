import Foundation
import KMeans
import KMeansBytes

// Safety: the reader's position changes only in nextBatch and rewind, which its one owner
// calls from one thread at a time (as the engine does); Sendable lets the owner hand it to
// another thread, not share it.
/// A `.npy` file read in row ranges, never whole.
///
/// With ``Access/memoryMapped`` (the default) the file is mapped read-only and pages of rows
/// already delivered by ``nextBatch(maxRows:)`` are released (`madvise(MADV_DONTNEED)`); with
/// ``Access/chunkedReads`` each range is read with `pread` into a buffer. Either way resident
/// memory stays near one batch even for files much larger than memory.
///
/// Read it from one thread at a time; it may move between threads.
public final class NumPyBatchReader<Scalar: KMeansScalar>: BatchSource, @unchecked Sendable {
  /// The file.
  public let path: String
  /// The number of rows.
  public let totalRows: Int
  /// The number of columns.
  public let columnCount: Int
  /// The rows, known from the header.
  public var rowCount: Int? { totalRows }

  /// How rows are brought in from the file.
  public enum Access: Sendable {
    /// Map the file and release delivered pages.
    case memoryMapped
    /// Read each row range with `pread`.
    case chunkedReads
  }

  /// How this reader brings rows in.
  public let access: Access

  /// The threads that convert a memory-mapped file's rows to `Scalar` at once (the values
  /// are the same on any number). Default: 1.
  public var decodingThreadCount = 1

  private let type: NumPyElementType
  private let file: MappedFile
  private let dataOffset: Int
  private var cursor = 0

  /// Maps the file (or opens it for reads) and reads its header.
  /// - Throws: `KMeansError` for a missing, corrupt, truncated or unsupported file.
  public init(_ path: String, access: Access = .memoryMapped) throws {
    self.path = path
    self.access = access
    let file = try Self.reading(path) {
      try MappedFile(path: path, mapped: access == .memoryMapped)
    }
    self.file = file
    let headerBytes = try Self.reading(path) { try file.bytes(0..<(1 << 16)) }
    let header = try NumPyFile.parseHeader(Data(headerBytes), path: path)
    try header.checkData(fileLength: file.length, path: path)
    self.type = header.type
    self.dataOffset = header.dataOffset
    self.totalRows = header.rows
    self.columnCount = header.columns
  }

  /// Runs `body`, turning a read failure into an error naming the file.
  private static func reading<Result>(_ path: String, _ body: () throws -> Result) throws -> Result
  {
    do {
      return try body()
    } catch let failure as MappedFile.Failure {
      throw KMeansError.fileUnreadable(path: path, reason: failure.reason)
    }
  }

  /// Every row of a float16, bfloat16, uint8 or int8 file kept at its own width (half or a
  /// quarter of float32's memory), widened as the engine reads it; nil for other types.
  /// - Throws: `KMeansError/fileUnreadable(path:reason:)` when the bytes cannot be read.
  public func readCompact() throws -> CompactMatrix<Scalar>? {
    guard let element = type.compactElement else { return nil }
    let byteCount = totalRows * columnCount * type.byteCount
    let bytes = try Self.reading(path) { try file.bytes(dataOffset..<(dataOffset + byteCount)) }
    return try CompactMatrix(
      rowCount: totalRows, columnCount: columnCount, element: element, bytes: bytes)
  }

  /// The given rows converted to `Scalar` (random access; no pages are released).
  /// - Throws: `KMeansError/shapeMismatch(_:)` for rows outside the file.
  public func rows(_ range: Range<Int>) throws -> Matrix<Scalar> {
    guard range.lowerBound >= 0, range.upperBound <= totalRows else {
      throw KMeansError.shapeMismatch("\(path): rows \(range) asked for, the file has \(totalRows)")
    }
    let count = range.count * columnCount
    let offset = dataOffset + range.lowerBound * columnCount * type.byteCount
    let values: [Scalar] = try Self.reading(path) {
      try file.decode(
        type.stored, count: count, at: offset, threadCount: max(1, decodingThreadCount))
    }
    return try Matrix(rowCount: range.count, columnCount: columnCount, values: values)
  }

  /// The next rows in file order, releasing the pages of the rows delivered before.
  public func nextBatch(maxRows: Int) throws -> Matrix<Scalar>? {
    guard maxRows > 0 else {
      throw KMeansError.invalidConfiguration("batches of \(maxRows) rows; they need at least 1")
    }
    guard cursor < totalRows else { return nil }
    file.release(before: dataOffset + cursor * columnCount * type.byteCount)
    let range = cursor..<min(totalRows, cursor + maxRows)
    cursor = range.upperBound
    return try rows(range)
  }

  /// Starts again from the first row.
  public func rewind() throws {
    file.release(before: dataOffset + cursor * columnCount * type.byteCount)
    file.resetRelease()
    cursor = 0
  }
}
