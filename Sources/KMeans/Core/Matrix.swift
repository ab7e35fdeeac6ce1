import KMeansKernels

/// A dense, row-major `rowCount × columnCount` matrix of `Float` or `Double`.
///
/// Storage is one contiguous array; ``rows(_:)`` returns a view of a range of rows that shares
/// that storage (copy-on-write), so shards and batches cost no copy.
///
/// ```swift
/// let points = try Matrix<Float>(rowCount: 3, columnCount: 2, values: [0, 0, 1, 1, 5, 5])
/// let lastTwo = points.rows(1..<3)   // no copy
/// ```
public struct Matrix<Scalar: KMeansScalar>: Sendable, Equatable {
  /// The shared backing store; this matrix reads `storageOffset ..< storageOffset + count`
  /// of it, or of ``borrowed`` when set (then `storage` is empty).
  var storage: [Scalar]
  /// A caller's values read in place (see ``init(borrowing:rowCount:columnCount:)``).
  var borrowed: BorrowedValues<Scalar>? = nil
  var storageOffset: Int

  /// The number of rows (samples).
  public private(set) var rowCount: Int
  /// The number of columns (features, the dimension).
  public let columnCount: Int

  /// Creates a matrix from row-major values.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when `values.count != rowCount × columnCount`.
  public init(rowCount: Int, columnCount: Int, values: [Scalar]) throws {
    guard rowCount >= 0, columnCount >= 0, values.count == rowCount * columnCount else {
      throw KMeansError.shapeMismatch(
        "\(values.count) values cannot fill a \(rowCount) × \(columnCount) matrix")
    }
    self.storage = values
    self.storageOffset = 0
    self.rowCount = rowCount
    self.columnCount = columnCount
  }

  /// Creates a matrix from an array of rows, which must all have the same length.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` naming the first row of another length.
  public init(rows: [[Scalar]]) throws {
    let width = rows.first?.count ?? 0
    if let bad = rows.firstIndex(where: { $0.count != width }) {
      throw KMeansError.shapeMismatch(
        "row \(bad) has \(rows[bad].count) values, but row 0 has \(width)")
    }
    try self.init(rowCount: rows.count, columnCount: width, values: rows.flatMap { $0 })
  }

  /// A matrix over `values`, whose count the caller has made `rowCount × columnCount`
  /// (checked with a precondition: a programmer error, not bad input).
  package init(checkedValues values: [Scalar], rowCount: Int, columnCount: Int) {
    precondition(
      values.count == rowCount * columnCount,
      "\(values.count) values for a \(rowCount) × \(columnCount) matrix")
    self.storage = values
    self.storageOffset = 0
    self.rowCount = rowCount
    self.columnCount = columnCount
  }

  /// A matrix that reads `rowCount × columnCount` values in place, which belong to the
  /// caller (the C ABI's view of a caller's array): the caller keeps them alive and unchanged
  /// while the matrix is used. Writing an element gives the matrix a copy of its own first.
  package init(borrowing values: BorrowedValues<Scalar>, rowCount: Int, columnCount: Int) {
    precondition(values.count == rowCount * columnCount, "borrowed values of another shape")
    self.storage = []
    self.borrowed = values
    self.storageOffset = 0
    self.rowCount = rowCount
    self.columnCount = columnCount
  }

  /// A `rowCount × columnCount` matrix of zeros.
  public init(zerosWithRowCount rowCount: Int, columnCount: Int) {
    self.storage = Array(repeating: 0, count: rowCount * columnCount)
    self.storageOffset = 0
    self.rowCount = rowCount
    self.columnCount = columnCount
  }

  /// The values in row-major order (a copy when this matrix is a view).
  public var values: [Scalar] {
    if borrowed == nil && storageOffset == 0 && storage.count == rowCount * columnCount {
      return storage
    }
    return rowStorage.copy(storageOffset..<(storageOffset + rowCount * columnCount))
  }

  /// The element at `row`, `column`.
  public subscript(row: Int, column: Int) -> Scalar {
    get {
      precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount)
      let index = storageOffset + row * columnCount + column
      if let borrowed { return borrowed.base[index] }
      return storage[index]
    }
    set {
      precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount)
      if borrowed != nil {
        // Borrowed values are never written: the matrix takes a copy of its own first.
        storage = values
        borrowed = nil
        storageOffset = 0
      }
      storage[storageOffset + row * columnCount + column] = newValue
    }
  }

  /// The values of one row.
  public func row(_ index: Int) -> [Scalar] {
    precondition(index >= 0 && index < rowCount, "row \(index) is outside 0..<\(rowCount)")
    let start = storageOffset + index * columnCount
    return rowStorage.copy(start..<(start + columnCount))
  }

  /// A view of the given rows that shares this matrix's storage.
  /// - Complexity: O(1).
  public func rows(_ range: Range<Int>) -> Matrix {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= rowCount,
      "rows \(range) are outside 0..<\(rowCount)")
    var view = self
    view.storageOffset = storageOffset + range.lowerBound * columnCount
    view.rowCount = range.count
    return view
  }

  /// The matrix converted to another precision.
  public func converted<Other: KMeansScalar>(to _: Other.Type = Other.self) -> Matrix<Other> {
    let count = rowCount * columnCount
    var converted = [Other](repeating: 0, count: count)
    let source = rowStorage
    for index in 0..<count { converted[index] = Other(source[storageOffset + index]) }
    return Matrix<Other>(checkedValues: converted, rowCount: rowCount, columnCount: columnCount)
  }

  /// Two matrices are equal when their shapes and values are (views compare by content).
  public static func == (lhs: Matrix, rhs: Matrix) -> Bool {
    lhs.rowCount == rhs.rowCount && lhs.columnCount == rhs.columnCount && lhs.values == rhs.values
  }

  /// The kernels' view of the rows (no copy).
  var denseRows: DenseRows<Scalar> {
    DenseRows(
      storage: rowStorage, offset: storageOffset, rowCount: rowCount, columnCount: columnCount)
  }

  /// The values behind this matrix, owned or borrowed.
  private var rowStorage: RowStorage<Scalar> {
    if let borrowed { return .borrowed(borrowed) }
    return .owned(storage)
  }

  /// A copy of the given rows, in the given order.
  func gatheringRows(_ rowIndices: [Int]) -> Matrix {
    // swift-format-ignore: NeverUseForceTry
    try! Matrix(
      rowCount: rowIndices.count, columnCount: columnCount,
      values: RowChecks.gather(denseRows, rowIndices))
  }

}

extension Matrix: Codable {
  private enum CodingKeys: String, CodingKey {
    case rowCount = "rows"
    case columnCount = "columns"
    case values
  }

  /// Decodes `{"rows": r, "columns": c, "values": [...]}`, checking the shape.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let rows = try container.decode(Int.self, forKey: .rowCount)
    let columns = try container.decode(Int.self, forKey: .columnCount)
    let values = try container.decode([Scalar].self, forKey: .values)
    try self.init(rowCount: rows, columnCount: columns, values: values)
  }

  /// Encodes `{"rows": r, "columns": c, "values": [...]}` (row-major values).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(rowCount, forKey: .rowCount)
    try container.encode(columnCount, forKey: .columnCount)
    try container.encode(values, forKey: .values)
  }
}

extension Matrix {
  /// Each row scaled to unit L2 length; rows of zeros stay zero (TensorFlow's `l2_normalize`).
  func l2NormalizedRows() -> Matrix {
    var result = Matrix(zerosWithRowCount: rowCount, columnCount: columnCount)
    for row in 0..<rowCount {
      let values = self.row(row)
      let norm = values.reduce(Scalar(0)) { $0 + $1 * $1 }.squareRoot()
      for column in 0..<columnCount {
        result[row, column] = norm > 0 ? values[column] / norm : 0
      }
    }
    return result
  }

  /// `self` when every row already has unit length (to a few ulps), else
  /// ``l2NormalizedRows()``: centers trained under cosine keep their exact bits.
  func unitRowsIfNeeded() -> Matrix {
    let slack = 16 * Double(Scalar.ulpOfOne)
    for row in 0..<rowCount {
      let squared = self.row(row).reduce(0.0) { $0 + Double($1) * Double($1) }
      if abs(squared - 1) > slack { return l2NormalizedRows() }
    }
    return self
  }

  /// The rows of `self` followed by the rows of `other` (which must have as many columns, or
  /// `self` must be empty).
  func appendingRows(_ other: Matrix) -> Matrix {
    guard rowCount > 0 else { return other }
    precondition(other.columnCount == columnCount, "appending rows of another width")
    // swift-format-ignore: NeverUseForceTry
    return try! Matrix(
      rowCount: rowCount + other.rowCount, columnCount: columnCount,
      values: values + other.values)
  }
}
