import Foundation

/// Numbers written as text (CSV cells, svmlight values), parsed with the C library's `strtod`
/// (the syntax NumPy and pandas accept), as a safe call.
package enum TextNumbers {
  /// The number written in `bytes[start..<end]` exactly (leading and trailing blanks must be
  /// trimmed by the caller), or nil when that text is not one number. `bytes` must hold a byte
  /// that cannot continue a number at or after `end` (a delimiter, a line break or a final 0).
  package static func parseDouble(_ bytes: [UInt8], from start: Int, to end: Int) -> Double? {
    guard start >= 0, start < end, end < bytes.count else { return nil }
    return bytes.withUnsafeBufferPointer { buffer in
      let base = buffer.baseAddress!
      var parsedEnd: UnsafeMutablePointer<CChar>? = nil
      let value = (base + start).withMemoryRebound(to: CChar.self, capacity: 1) {
        strtod($0, &parsedEnd)
      }
      let consumed = parsedEnd.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? start
      return consumed == end ? value : nil
    }
  }
}
