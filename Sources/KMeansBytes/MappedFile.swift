import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The one read-only file type of the file formats (`.npy`, `.fvecs`/`.bvecs`/`.ivecs`): a
/// file mapped into memory (or read with `pread` on request), whose byte ranges are decoded by
/// safe calls. Pages already consumed can be released, so resident memory stays near one
/// batch for files larger than memory.
package final class MappedFile: @unchecked Sendable {
  /// Why a file could not be opened or read.
  package struct Failure: Error, Sendable {
    package var reason: String
  }

  package let path: String
  /// The file's size in bytes.
  package let length: Int
  /// Whether the file is mapped (else each range is read with `pread`).
  package let isMapped: Bool
  private let mapping: UnsafeRawPointer?
  private let descriptor: Int32
  private var released = 0

  /// Opens `path`, mapped (`mapped`) or for `pread`.
  package init(path: String, mapped: Bool = true) throws {
    self.path = path
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      let reason = String(cString: strerror(errno))
      close(descriptor)
      throw Failure(reason: reason)
    }
    let length = Int(info.st_size)
    var mapping: UnsafeRawPointer? = nil
    if mapped && length > 0 {
      let pointer = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor, 0)
      guard let pointer, pointer != MAP_FAILED else {
        let reason = String(cString: strerror(errno))
        close(descriptor)
        throw Failure(reason: "cannot map the file: \(reason)")
      }
      _ = madvise(pointer, length, MADV_SEQUENTIAL)
      mapping = UnsafeRawPointer(pointer)
    }
    self.descriptor = descriptor
    self.length = length
    self.mapping = mapping
    self.isMapped = mapped
  }

  deinit {
    if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping), length) }
    close(descriptor)
  }

  /// The bytes in `range` (clamped to the file).
  package func bytes(_ range: Range<Int>) throws -> [UInt8] {
    let lower = max(0, min(range.lowerBound, length))
    let upper = max(lower, min(range.upperBound, length))
    if let mapping {
      return Array(UnsafeRawBufferPointer(start: mapping + lower, count: upper - lower))
    }
    var bytes = [UInt8](repeating: 0, count: upper - lower)
    var done = 0
    while done < bytes.count {
      let read = bytes.withUnsafeMutableBytes {
        pread(descriptor, $0.baseAddress! + done, $0.count - done, off_t(lower + done))
      }
      if read < 0 && errno == EINTR { continue }
      guard read > 0 else { throw Failure(reason: "read failed at byte \(lower + done)") }
      done += read
    }
    return bytes
  }

  /// `count` elements of `element` from byte `offset`, converted to `Scalar`. A mapped file's
  /// values, converted to `Float` or `Double`, are decoded in up to `threadCount` parts at once
  /// where there are at least 2¹⁶ of them a part (each value converts alone: the same bits).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package func decode<Scalar: BinaryFloatingPoint>(
    _ element: StoredElement, count: Int, at offset: Int, as _: Scalar.Type = Scalar.self,
    threadCount: Int = 1
  ) throws -> [Scalar] {
    guard LittleEndian.fits(offset: offset, count: count, width: element.byteCount, within: length)
    else {
      throw Failure(reason: "\(count) values at byte \(offset) lie past the end of the file")
    }
    let byteCount = count * element.byteCount
    guard count > 0 else { return [] }
    if let mapping {
      // Every value is written by the decoding: no zero fill first.
      let parts = max(1, min(threadCount, count >> 16))
      return [Scalar](unsafeUninitializedCapacity: count) { target, initialized in
        let source = mapping + offset
        if parts > 1, Scalar.self == Float.self || Scalar.self == Double.self {
          // Parts of Float or Double values: the closures the threads share name no generic
          // type.
          let shared = UnsafeSendablePointers(
            source: source, target: UnsafeMutableRawPointer(target.baseAddress!))
          let width = element.byteCount
          let isFloat = Scalar.self == Float.self
          DispatchQueue.concurrentPerform(iterations: parts) { part in
            let lower = count * part / parts
            let upper = count * (part + 1) / parts
            let from = shared.source + lower * width
            if isFloat {
              LittleEndian.decode(
                element, count: upper - lower, from: from,
                into: shared.target.assumingMemoryBound(to: Float.self) + lower)
            } else {
              LittleEndian.decode(
                element, count: upper - lower, from: from,
                into: shared.target.assumingMemoryBound(to: Double.self) + lower)
            }
          }
        } else {
          LittleEndian.decode(element, count: count, from: source, into: target.baseAddress!)
        }
        initialized = count
      }
    }
    var values = [Scalar](repeating: 0, count: count)
    LittleEndian.decode(
      element, count: count, from: Data(try bytes(offset..<(offset + byteCount))), at: 0,
      into: &values)
    return values
  }

  /// Rows of `width` elements of `element`, each preceded by a 4-byte little-endian header
  /// that must equal `width` (the `.fvecs` layout), converted to `Scalar`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package func decodeRows<Scalar: BinaryFloatingPoint>(
    _ element: StoredElement, width: Int, rows: Range<Int>, as _: Scalar.Type = Scalar.self
  ) throws -> [Scalar] {
    var values = [Scalar](repeating: 0, count: rows.count * width)
    try values.withUnsafeMutableBufferPointer { target in
      try forEachVector(width: width, elementBytes: element.byteCount, rows: rows) {
        index, payload in
        LittleEndian.decode(
          element, count: width, from: payload, into: target.baseAddress! + index * width)
      }
    }
    return values
  }

  /// The payload bytes of `rows` of a TEXMEX vector file (each row a 4-byte dimension, then
  /// `width` elements of `elementBytes` bytes), headers dropped, row after row; throws for a
  /// vector of another dimension or rows past the end.
  package func vectorPayloads(width: Int, elementBytes: Int, rows: Range<Int>) throws -> [UInt8] {
    let rowBytes = width * elementBytes
    var payloads = [UInt8](repeating: 0, count: rows.count * rowBytes)
    try payloads.withUnsafeMutableBytes { target in
      try forEachVector(width: width, elementBytes: elementBytes, rows: rows) { index, payload in
        (target.baseAddress! + index * rowBytes).copyMemory(from: payload, byteCount: rowBytes)
      }
    }
    return payloads
  }

  /// Calls `body` with the position among `rows` and the payload of each vector of a TEXMEX
  /// file (a 4-byte little-endian dimension that must equal `width`, then `width` elements of
  /// `elementBytes` bytes), in order; throws for rows past the end or a vector of another
  /// dimension (after the vectors before it).
  private func forEachVector(
    width: Int, elementBytes: Int, rows: Range<Int>,
    _ body: (_ index: Int, _ payload: UnsafeRawPointer) -> Void
  ) throws {
    let headerBytes = 4
    guard width >= 0, elementBytes > 0, rows.lowerBound >= 0,
      case (let rowBytes, let overflow) = width.multipliedReportingOverflow(by: elementBytes),
      !overflow, rowBytes <= Int.max - headerBytes,
      LittleEndian.fits(
        offset: 0, count: rows.upperBound, width: headerBytes + rowBytes, within: length)
    else {
      throw Failure(reason: "rows \(rows) lie past the end of the file")
    }
    guard !rows.isEmpty else { return }
    let stride = headerBytes + rowBytes
    let copied =
      try mapping == nil ? self.bytes((rows.lowerBound * stride)..<(rows.upperBound * stride)) : []
    try copied.withUnsafeBytes { copied in
      let base =
        mapping.map { $0 + rows.lowerBound * stride } ?? UnsafeRawPointer(copied.baseAddress!)
      for index in 0..<rows.count {
        let header = Int32(littleEndian: (base + index * stride).loadUnaligned(as: Int32.self))
        guard header == width else {
          throw Failure(
            reason:
              "vector \(rows.lowerBound + index) has dimension \(header), vector 0 has \(width)")
        }
        body(index, base + index * stride + headerBytes)
      }
    }
  }

  /// Releases the resident pages before byte `offset` (they are read again if asked for).
  package func release(before offset: Int) {
    guard let mapping else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let end = (min(offset, length) / page) * page
    guard end > released else { return }
    _ = madvise(
      UnsafeMutableRawPointer(mutating: mapping) + released, end - released, MADV_DONTNEED)
    released = end
  }

  /// Forgets what was released (after a rewind).
  package func resetRelease() { released = 0 }
}

/// A mapped file's bytes and a decoding's target, shared by the parts decoded at once (each
/// part reads and writes its own range).
private struct UnsafeSendablePointers: @unchecked Sendable {
  let source: UnsafeRawPointer
  let target: UnsafeMutableRawPointer
}
