import Foundation
import KMeans

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A `.npy` file mapped into memory (read-only) and read in row ranges.
///
/// Reading row ranges converts them to `Scalar`; pages of rows already delivered by
/// ``nextBatch(maxRows:)`` are released (`madvise(MADV_DONTNEED)`), so resident memory stays
/// near one batch even for files much larger than memory.
public final class NumPyBatchReader<Scalar: KMeansScalar>: BatchSource, @unchecked Sendable {
  /// The file.
  public let path: String
  /// The number of rows.
  public let totalRows: Int
  /// The number of columns.
  public let columnCount: Int
  /// The rows, known from the header.
  public var rowCount: Int? { totalRows }

  private let type: NumPyElementType
  private let mapping: UnsafeRawPointer
  private let mappedLength: Int
  private let dataOffset: Int
  private let descriptor: Int32
  private var cursor = 0
  private var released = 0

  /// Maps the file and reads its header.
  /// - Throws: ``KMeansError`` for a missing, corrupt, truncated or unsupported file.
  public init(_ path: String) throws {
    self.path = path
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw KMeansError.fileUnreadable(path: path, reason: String(cString: strerror(errno)))
    }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      close(descriptor)
      throw KMeansError.fileUnreadable(path: path, reason: String(cString: strerror(errno)))
    }
    let length = Int(info.st_size)
    var headerBytes = [UInt8](repeating: 0, count: min(length, 1 << 16))
    let read = headerBytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
    guard read == headerBytes.count else {
      close(descriptor)
      throw KMeansError.fileUnreadable(path: path, reason: "cannot read the header")
    }
    let header: NumPyFile.Header
    do {
      header = try NumPyFile.parseHeader(Data(headerBytes), path: path)
    } catch {
      close(descriptor)
      throw error
    }
    let rows = header.shape.first ?? 0
    let columns = header.shape.count == 2 ? header.shape[1] : 1
    guard length - header.dataOffset >= rows * columns * header.type.byteCount else {
      close(descriptor)
      throw KMeansError.corruptFile(
        path: path,
        reason:
          "the header promises \(rows * columns) \(header.type.rawValue) values, but only \(length - header.dataOffset) bytes follow"
      )
    }
    guard let mapped = mmap(nil, max(1, length), PROT_READ, MAP_SHARED, descriptor, 0),
      mapped != MAP_FAILED
    else {
      close(descriptor)
      throw KMeansError.fileUnreadable(
        path: path, reason: "cannot map the file: \(String(cString: strerror(errno)))")
    }
    _ = madvise(mapped, max(1, length), MADV_SEQUENTIAL)
    self.descriptor = descriptor
    self.mapping = UnsafeRawPointer(mapped)
    self.mappedLength = max(1, length)
    self.type = header.type
    self.dataOffset = header.dataOffset
    self.totalRows = rows
    self.columnCount = columns
  }

  deinit {
    munmap(UnsafeMutableRawPointer(mutating: mapping), mappedLength)
    close(descriptor)
  }

  /// The given rows converted to `Scalar` (random access; no pages are released).
  public func rows(_ range: Range<Int>) throws -> Matrix<Scalar> {
    precondition(range.lowerBound >= 0 && range.upperBound <= totalRows, "rows out of range")
    let count = range.count * columnCount
    let start = mapping + dataOffset + range.lowerBound * columnCount * type.byteCount
    let values = type.decode(count, from: start, as: Scalar.self)
    return try Matrix(rowCount: range.count, columnCount: columnCount, values: values)
  }

  /// The next rows in file order, releasing the pages of the rows delivered before.
  public func nextBatch(maxRows: Int) throws -> Matrix<Scalar>? {
    precondition(maxRows > 0)
    guard cursor < totalRows else { return nil }
    releaseConsumedPages()
    let range = cursor..<min(totalRows, cursor + maxRows)
    cursor = range.upperBound
    return try rows(range)
  }

  /// Starts again from the first row.
  public func rewind() throws {
    releaseConsumedPages()
    cursor = 0
    released = 0
  }

  /// Drops the resident pages of rows already delivered (they are re-read if asked again).
  private func releaseConsumedPages() {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let consumedEnd = dataOffset + cursor * columnCount * type.byteCount
    let end = (consumedEnd / page) * page
    guard end > released else { return }
    _ = madvise(
      UnsafeMutableRawPointer(mutating: mapping) + released, end - released, MADV_DONTNEED)
    released = end
  }
}
