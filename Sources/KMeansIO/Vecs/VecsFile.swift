import Foundation
import KMeans

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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

  var elementSize: Int { self == .bvecs ? 1 : 4 }
}

/// A `.fvecs`/`.bvecs`/`.ivecs` file, memory-mapped and read in row ranges (every vector has
/// the same dimension, so row i starts at i × (4 + d × element size)). Pages of rows already
/// delivered by ``nextBatch(maxRows:)`` are released, so streaming stays in bounded memory.
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

  private let mapping: UnsafeRawPointer
  private let length: Int
  private let rowBytes: Int
  private var cursor = 0
  private var released = 0

  /// Maps the file and checks that its size is a whole number of vectors of the first
  /// vector's dimension.
  /// - Throws: ``KMeans/KMeansError`` naming the file for a missing, empty, truncated or
  ///   unknown-format file.
  public init(_ path: String) throws {
    guard let format = VecsFormat(path: path) else {
      throw KMeansError.unsupportedFormat(path: path, reason: "expected .fvecs, .bvecs or .ivecs")
    }
    self.path = path
    self.format = format
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw KMeansError.fileUnreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(descriptor) }
    var info = stat()
    fstat(descriptor, &info)
    length = Int(info.st_size)
    guard length >= 4 else { throw KMeansError.emptyInput("\(path) holds no vectors") }
    guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED
    else {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot map the file")
    }
    mapping = UnsafeRawPointer(mapped)
    let dimension = Int(Int32(littleEndian: mapping.loadUnaligned(as: Int32.self)))
    guard dimension > 0 else {
      munmap(mapped, length)
      throw KMeansError.corruptFile(path: path, reason: "vector 0 has dimension \(dimension)")
    }
    rowBytes = 4 + dimension * format.elementSize
    guard length % rowBytes == 0 else {
      munmap(mapped, length)
      throw KMeansError.corruptFile(
        path: path,
        reason:
          "\(length) bytes is not a whole number of \(dimension)-dimensional vectors (\(rowBytes) bytes each): truncated, or vectors of different dimensions"
      )
    }
    columnCount = dimension
    totalRows = length / rowBytes
  }

  deinit { munmap(UnsafeMutableRawPointer(mutating: mapping), length) }

  /// The given rows as a matrix, checking each vector's dimension.
  public func rows(_ range: Range<Int>) throws -> Matrix<Scalar> {
    precondition(range.lowerBound >= 0 && range.upperBound <= totalRows, "rows out of range")
    var values = [Scalar](repeating: 0, count: range.count * columnCount)
    try values.withUnsafeMutableBufferPointer { output in
      for (index, row) in range.enumerated() {
        let start = mapping + row * rowBytes
        let dimension = Int(Int32(littleEndian: start.loadUnaligned(as: Int32.self)))
        guard dimension == columnCount else {
          throw KMeansError.corruptFile(
            path: path,
            reason: "vector \(row) has dimension \(dimension), vector 0 has \(columnCount)")
        }
        let target = index * columnCount
        for column in 0..<columnCount {
          let offset = 4 + column * format.elementSize
          switch format {
          case .fvecs:
            output[target + column] = Scalar(
              Float(
                bitPattern: UInt32(
                  littleEndian: start.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
          case .bvecs:
            output[target + column] = Scalar(start.load(fromByteOffset: offset, as: UInt8.self))
          case .ivecs:
            output[target + column] = Scalar(
              Int32(littleEndian: start.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
          }
        }
      }
    }
    return try Matrix(rowCount: range.count, columnCount: columnCount, values: values)
  }

  /// Every vector.
  public func readAll() throws -> Matrix<Scalar> { try rows(0..<totalRows) }

  /// The next vectors in file order, releasing the pages of those delivered before.
  public func nextBatch(maxRows: Int) throws -> Matrix<Scalar>? {
    guard cursor < totalRows else { return nil }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let consumed = (cursor * rowBytes / page) * page
    if consumed > released {
      _ = madvise(
        UnsafeMutableRawPointer(mutating: mapping) + released, consumed - released, MADV_DONTNEED)
      released = consumed
    }
    let range = cursor..<min(totalRows, cursor + maxRows)
    cursor = range.upperBound
    return try rows(range)
  }

  /// Starts again from the first vector.
  public func rewind() throws {
    cursor = 0
  }
}

/// Writing `.fvecs` (centers) and `.ivecs` (labels, one 1-dimensional vector per row).
public enum VecsFile {
  /// Writes each row as a float32 vector, atomically.
  public static func writeFvecs<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>, to path: String)
    throws
  {
    var data = Data(capacity: matrix.rowCount * (4 + 4 * matrix.columnCount))
    for row in 0..<matrix.rowCount {
      withUnsafeBytes(of: Int32(matrix.columnCount).littleEndian) { data.append(contentsOf: $0) }
      for value in matrix.row(row) {
        withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
      }
    }
    try AtomicFile.write(data, to: path)
  }

  /// Writes each integer as a 1-dimensional int32 vector (the layout of ANN ground-truth
  /// files, with one neighbour), atomically.
  public static func writeIvecs(_ values: [Int], to path: String) throws {
    var data = Data(capacity: values.count * 8)
    for value in values {
      withUnsafeBytes(of: Int32(1).littleEndian) { data.append(contentsOf: $0) }
      withUnsafeBytes(of: Int32(clamping: value).littleEndian) { data.append(contentsOf: $0) }
    }
    try AtomicFile.write(data, to: path)
  }
}
