/// The values behind a matrix: an array of its own, or memory that belongs to a caller (a
/// NumPy array handed over the C ABI), read in place for the length of one call.
package enum RowStorage<Scalar: KMeansScalar>: Sendable {
  /// Values the matrix owns.
  case owned([Scalar])
  /// Values the matrix reads in place; see ``BorrowedValues``.
  case borrowed(BorrowedValues<Scalar>)

  /// The number of values.
  package var count: Int {
    switch self {
    case .owned(let values): return values.count
    case .borrowed(let values): return values.count
    }
  }

  /// The value at `index`.
  package subscript(index: Int) -> Scalar {
    switch self {
    case .owned(let values): return values[index]
    case .borrowed(let values):
      precondition(index >= 0 && index < values.count, "index \(index) outside the values")
      return values.base[index]
    }
  }

  /// The values in `range`, copied.
  package func copy(_ range: Range<Int>) -> [Scalar] {
    switch self {
    case .owned(let values): return Array(values[range])
    case .borrowed(let values):
      precondition(range.lowerBound >= 0 && range.upperBound <= values.count)
      return Array(UnsafeBufferPointer(start: values.base + range.lowerBound, count: range.count))
    }
  }

  /// All the values as an array (a copy when borrowed).
  package var array: [Scalar] {
    switch self {
    case .owned(let values): return values
    case .borrowed: return copy(0..<count)
    }
  }

  /// Calls `body` with the values' buffer.
  package func withUnsafeBufferPointer<Result>(
    _ body: (UnsafeBufferPointer<Scalar>) throws -> Result
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
package final class BorrowedValues<Scalar: KMeansScalar>: @unchecked Sendable {
  /// The first value.
  package let base: UnsafePointer<Scalar>
  /// The number of values.
  package let count: Int

  /// Wraps `count` values at `base` (which must stay valid while this object is used).
  package init(base: UnsafePointer<Scalar>, count: Int) {
    self.base = base
    self.count = count
  }
}
