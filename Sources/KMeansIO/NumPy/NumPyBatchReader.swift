import Foundation
import KMeans

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A `.npy` file read in row ranges, never whole.
///
/// With ``Access/memoryMapped`` (the default) the file is mapped read-only and pages of rows
/// already delivered by ``nextBatch(maxRows:)`` are released (`madvise(MADV_DONTNEED)`); with
/// ``Access/chunkedReads`` each range is read with `pread` into a buffer. Either way resident
/// memory stays near one batch even for files much larger than memory.
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

  private let type: NumPyElementType
  private let mapping: UnsafeRawPointer
  private let mappedLength: Int
  private let dataOffset: Int
  private let descriptor: Int32
  private var cursor = 0
  private var released = 0

  /// Maps the file and reads its header.
  /// - Throws: ``KMeansError`` for a missing, corrupt, truncated or unsupported file.
  public init(_ path: String, access: Access = .memoryMapped) throws {
    self.path = path
    self.access = access
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
    let mapped: UnsafeMutableRawPointer?
    if access == .memoryMapped {
      mapped = mmap(nil, max(1, length), PROT_READ, MAP_SHARED, descriptor, 0)
    } else {
      mapped = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
    }
    guard let mapped, mapped != MAP_FAILED else {
      close(descriptor)
      throw KMeansError.fileUnreadable(
        path: path, reason: "cannot map the file: \(String(cString: strerror(errno)))")
    }
    if access == .memoryMapped { _ = madvise(mapped, max(1, length), MADV_SEQUENTIAL) }
    self.descriptor = descriptor
    self.mapping = UnsafeRawPointer(mapped)
    self.mappedLength = max(1, length)
    self.type = header.type
    self.dataOffset = header.dataOffset
    self.totalRows = rows
    self.columnCount = columns
  }

  deinit {
    if access == .memoryMapped {
      munmap(UnsafeMutableRawPointer(mutating: mapping), mappedLength)
    } else {
      UnsafeMutableRawPointer(mutating: mapping).deallocate()
    }
    close(descriptor)
  }

  /// The given rows converted to `Scalar` (random access; no pages are released).
  public func rows(_ range: Range<Int>) throws -> Matrix<Scalar> {
    precondition(range.lowerBound >= 0 && range.upperBound <= totalRows, "rows out of range")
    let count = range.count * columnCount
    let offset = dataOffset + range.lowerBound * columnCount * type.byteCount
    let values: [Scalar]
    switch access {
    case .memoryMapped:
      values = type.decode(count, from: mapping + offset, as: Scalar.self)
    case .chunkedReads:
      let byteCount = count * type.byteCount
      var bytes = [UInt8](repeating: 0, count: byteCount)
      var done = 0
      while done < byteCount {
        let read = bytes.withUnsafeMutableBytes {
          pread(descriptor, $0.baseAddress! + done, byteCount - done, off_t(offset + done))
        }
        if read < 0 && errno == EINTR { continue }
        guard read > 0 else {
          throw KMeansError.fileUnreadable(
            path: path, reason: "read failed at byte \(offset + done)")
        }
        done += read
      }
      values = bytes.withUnsafeBytes { type.decode(count, from: $0.baseAddress!, as: Scalar.self) }
    }
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
    guard access == .memoryMapped else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let consumedEnd = dataOffset + cursor * columnCount * type.byteCount
    let end = (consumedEnd / page) * page
    guard end > released else { return }
    _ = madvise(
      UnsafeMutableRawPointer(mutating: mapping) + released, end - released, MADV_DONTNEED)
    released = end
  }
}
