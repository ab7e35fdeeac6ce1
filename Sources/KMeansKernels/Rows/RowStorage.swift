/// The values behind a matrix (its elements, or a CSR matrix's indices or values): an array of
/// its own, or memory that belongs to a caller (a NumPy array handed over the C ABI), read in
/// place for the length of one call.
package enum RowStorage<Element: Sendable>: Sendable {
  /// Values the matrix owns.
  case owned([Element])
  /// Values the matrix reads in place; see ``BorrowedValues``.
  case borrowed(BorrowedValues<Element>)

  /// The number of values.
  package var count: Int {
    switch self {
    case .owned(let values): return values.count
    case .borrowed(let values): return values.count
    }
  }

  /// The value at `index`.
  package subscript(index: Int) -> Element {
    switch self {
    case .owned(let values): return values[index]
    case .borrowed(let values):
      precondition(index >= 0 && index < values.count, "index \(index) outside the values")
      return values.base[index]
    }
  }

  /// The values in `range`, copied.
  package func copy(_ range: Range<Int>) -> [Element] {
    switch self {
    case .owned(let values): return Array(values[range])
    case .borrowed(let values):
      precondition(range.lowerBound >= 0 && range.upperBound <= values.count)
      return Array(UnsafeBufferPointer(start: values.base + range.lowerBound, count: range.count))
    }
  }

  /// Whether the values are a caller's, read in place.
  package var isBorrowed: Bool {
    if case .borrowed = self { return true }
    return false
  }

  /// All the values as an array (a copy when borrowed).
  package var array: [Element] {
    switch self {
    case .owned(let values): return values
    case .borrowed: return copy(0..<count)
    }
  }

  /// Calls `body` with the values' buffer.
  package func withUnsafeBufferPointer<Result>(
    _ body: (UnsafeBufferPointer<Element>) throws -> Result
  ) rethrows -> Result {
    switch self {
    case .owned(let values): return try values.withUnsafeBufferPointer(body)
    case .borrowed(let values):
      return try body(UnsafeBufferPointer(start: values.base, count: values.count))
    }
  }
}

/// Memory that belongs to a caller: the C ABI wraps an array it was handed, which the caller
/// keeps alive and unchanged until the call returns; nothing holds it past the call.
package final class BorrowedValues<Element>: @unchecked Sendable {
  /// The first value.
  package let base: UnsafePointer<Element>
  /// The number of values.
  package let count: Int

  /// Wraps `count` values at `base` (which must stay valid while this object is used).
  package init(base: UnsafePointer<Element>, count: Int) {
    self.base = base
    self.count = count
  }
}
