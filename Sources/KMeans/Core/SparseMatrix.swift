import KMeansKernels

/// A sparse `rowCount × columnCount` matrix in compressed sparse row (CSR) form, as SciPy's
/// `csr_matrix`: row `i` holds the values `values[rowOffsets[i] ..< rowOffsets[i + 1]]` at the
/// columns `columnIndices[…]` of the same range.
///
/// Every k-means entry point that takes a ``Matrix`` also takes a `SparseMatrix`; the data is
/// never densified (distances are ‖x‖² − 2x·c + ‖c‖² with sparse–dense dot products, the
/// centers stay dense).
///
/// ```swift
/// // [[1, 0, 2],
/// //  [0, 0, 3]]
/// let x = try SparseMatrix<Float>(
///   rowCount: 2, columnCount: 3, rowOffsets: [0, 2, 3], columnIndices: [0, 2, 2],
///   values: [1, 2, 3])
/// ```
public struct SparseMatrix<Scalar: KMeansScalar>: Sendable, Equatable {
  /// The number of rows (samples).
  public let rowCount: Int
  /// The number of columns (features).
  public let columnCount: Int
  /// `rowCount + 1` offsets into ``columnIndices`` and ``values``, from 0 to the non-zero count.
  public let rowOffsets: [Int]
  /// The column of each stored value. Stored as 32-bit: a column count beyond 2³¹ − 1 is
  /// refused.
  public var columnIndices: [Int32] { indexStorage.array }
  /// The stored values.
  public var values: [Scalar] { valueStorage.array }
  /// The column indices, owned or read in place from a caller (see
  /// ``init(rowCount:columnCount:rowOffsets:borrowingIndices:values:)``).
  let indexStorage: RowStorage<Int32>
  /// The values, owned or read in place from a caller.
  let valueStorage: RowStorage<Scalar>

  /// The number of stored values.
  public var nonZeroCount: Int { valueStorage.count }

  /// Two matrices are equal when their shapes, offsets, indices and values are.
  public static func == (lhs: SparseMatrix, rhs: SparseMatrix) -> Bool {
    lhs.rowCount == rhs.rowCount && lhs.columnCount == rhs.columnCount
      && lhs.rowOffsets == rhs.rowOffsets && lhs.columnIndices == rhs.columnIndices
      && lhs.values == rhs.values
  }

  /// Creates a CSR matrix from its three arrays, with indices of any integer type (SciPy
  /// writes `int32` or `int64`).
  ///
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` for offsets that do not start at 0, decrease
  ///   or end elsewhere than at the value count, or a column index out of range (naming the
  ///   row); ``KMeansError/nonFiniteValue(row:column:)`` for NaN or infinity.
  public init<Offset: BinaryInteger, Index: BinaryInteger>(
    rowCount: Int, columnCount: Int, rowOffsets: [Offset], columnIndices: [Index],
    values: [Scalar]
  ) throws {
    guard rowCount >= 0, columnCount >= 0, columnCount <= Int(Int32.max) else {
      throw KMeansError.shapeMismatch(
        "a \(rowCount) × \(columnCount) sparse matrix (at most \(Int32.max) columns)")
    }
    guard rowOffsets.count - 1 == rowCount else {
      throw KMeansError.shapeMismatch(
        "\(rowOffsets.count) row offsets for \(rowCount) rows (expected one more than the rows)")
    }
    guard columnIndices.count == values.count else {
      throw KMeansError.shapeMismatch(
        "\(columnIndices.count) column indices for \(values.count) values")
    }
    // Offsets may come from a file: converted exactly, and each checked to lie inside the
    // values before it is used as an index.
    var offsets: [Int] = []
    offsets.reserveCapacity(rowOffsets.count)
    for (row, offset) in rowOffsets.enumerated() {
      guard let offset = Int(exactly: offset), offset >= 0, offset <= values.count else {
        throw KMeansError.shapeMismatch(
          "row offset \(offset) at position \(row) lies outside 0...\(values.count)")
      }
      offsets.append(offset)
    }
    guard offsets.first == 0, offsets.last == values.count else {
      throw KMeansError.shapeMismatch(
        "row offsets run from \(offsets.first ?? -1) to \(offsets.last ?? -1); expected 0 to \(values.count)"
      )
    }
    var indices = [Int32](repeating: 0, count: columnIndices.count)
    for row in 0..<rowCount {
      guard offsets[row] <= offsets[row + 1] else {
        throw KMeansError.shapeMismatch(
          "row offsets decrease at row \(row) (\(offsets[row]) then \(offsets[row + 1]))")
      }
      for position in offsets[row]..<offsets[row + 1] {
        let column = columnIndices[position]
        guard column >= 0, column < columnCount else {
          throw KMeansError.shapeMismatch(
            "row \(row) has column index \(column), outside 0..<\(columnCount)")
        }
        guard values[position].isFinite else {
          throw KMeansError.nonFiniteValue(row: row, column: Int(column))
        }
        indices[position] = Int32(column)
      }
    }
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.rowOffsets = offsets
    self.indexStorage = .owned(indices)
    self.valueStorage = .owned(values)
  }

  /// A CSR matrix whose column indices and values stay where a caller keeps them (the C ABI's
  /// view of a SciPy matrix), checked as the copying initializer checks them: the caller keeps
  /// them alive and unchanged while the matrix is used.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` or ``KMeansError/nonFiniteValue(row:column:)``.
  package init(
    rowCount: Int, columnCount: Int, rowOffsets: [Int],
    borrowingIndices indices: BorrowedValues<Int32>,
    values: BorrowedValues<Scalar>
  ) throws {
    guard rowCount >= 0, columnCount >= 0, columnCount <= Int(Int32.max),
      rowOffsets.count == rowCount + 1, indices.count == values.count
    else {
      throw KMeansError.shapeMismatch(
        "a \(rowCount) × \(columnCount) CSR matrix with \(rowOffsets.count) offsets, \(indices.count) indices and \(values.count) values"
      )
    }
    guard rowOffsets.first == 0, rowOffsets.last == values.count else {
      throw KMeansError.shapeMismatch(
        "row offsets run from \(rowOffsets.first ?? -1) to \(rowOffsets.last ?? -1); expected 0 to \(values.count)"
      )
    }
    for row in 0..<rowCount {
      guard rowOffsets[row] <= rowOffsets[row + 1], rowOffsets[row + 1] <= values.count else {
        throw KMeansError.shapeMismatch(
          "row offsets decrease or overrun at row \(row) (\(rowOffsets[row]) then \(rowOffsets[row + 1]))"
        )
      }
      for position in rowOffsets[row]..<rowOffsets[row + 1] {
        let column = indices.base[position]
        guard column >= 0, Int(column) < columnCount else {
          throw KMeansError.shapeMismatch(
            "row \(row) has column index \(column), outside 0..<\(columnCount)")
        }
        guard values.base[position].isFinite else {
          throw KMeansError.nonFiniteValue(row: row, column: Int(column))
        }
      }
    }
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.rowOffsets = rowOffsets
    self.indexStorage = .borrowed(indices)
    self.valueStorage = .borrowed(values)
  }

  /// The non-zero entries of a dense matrix.
  public init(_ dense: Matrix<Scalar>) {
    var offsets = [0]
    var indices: [Int32] = []
    var values: [Scalar] = []
    for row in 0..<dense.rowCount {
      for column in 0..<dense.columnCount where dense[row, column] != 0 {
        indices.append(Int32(column))
        values.append(dense[row, column])
      }
      offsets.append(values.count)
    }
    self.rowCount = dense.rowCount
    self.columnCount = dense.columnCount
    self.rowOffsets = offsets
    self.indexStorage = .owned(indices)
    self.valueStorage = .owned(values)
  }

  /// The dense form (`rowCount × columnCount` values; for tests and small matrices).
  public func dense() -> Matrix<Scalar> {
    var result = Matrix<Scalar>(zerosWithRowCount: rowCount, columnCount: columnCount)
    for row in 0..<rowCount {
      for position in rowOffsets[row]..<rowOffsets[row + 1] {
        result[row, Int(indexStorage[position])] += valueStorage[position]
      }
    }
    return result
  }

  /// The given rows as a new sparse matrix.
  public func rows(_ rowIndices: [Int]) -> SparseMatrix {
    var offsets = [0]
    offsets.reserveCapacity(rowIndices.count + 1)
    var indices: [Int32] = []
    var newValues: [Scalar] = []
    for row in rowIndices {
      precondition(row >= 0 && row < rowCount, "row \(row) is out of range")
      let range = rowOffsets[row]..<rowOffsets[row + 1]
      indices.append(contentsOf: indexStorage.copy(range))
      newValues.append(contentsOf: valueStorage.copy(range))
      offsets.append(newValues.count)
    }
    return SparseMatrix(
      validatedRowCount: rowIndices.count, columnCount: columnCount, rowOffsets: offsets,
      columnIndices: indices, values: newValues)
  }

  /// The rows of `parts`, one after another (all with `columnCount` columns).
  static func joining(_ parts: [SparseMatrix], columnCount: Int) -> SparseMatrix {
    if parts.count == 1 { return parts[0] }
    var offsets = [0]
    var indices: [Int32] = []
    var joined: [Scalar] = []
    for part in parts {
      for row in 0..<part.rowCount {
        let range = part.rowOffsets[row]..<part.rowOffsets[row + 1]
        indices.append(contentsOf: part.indexStorage.copy(range))
        joined.append(contentsOf: part.valueStorage.copy(range))
        offsets.append(joined.count)
      }
    }
    return SparseMatrix(
      validatedRowCount: offsets.count - 1, columnCount: columnCount, rowOffsets: offsets,
      columnIndices: indices, values: joined)
  }

  /// The same shape with other values (e.g. normalised), already validated.
  func replacingValues(_ newValues: [Scalar]) -> SparseMatrix {
    SparseMatrix(
      rowCount: rowCount, columnCount: columnCount, rowOffsets: rowOffsets,
      indexStorage: indexStorage, valueStorage: .owned(newValues))
  }

  init(
    validatedRowCount rowCount: Int, columnCount: Int, rowOffsets: [Int], columnIndices: [Int32],
    values: [Scalar]
  ) {
    self.init(
      rowCount: rowCount, columnCount: columnCount, rowOffsets: rowOffsets,
      indexStorage: .owned(columnIndices), valueStorage: .owned(values))
  }

  private init(
    rowCount: Int, columnCount: Int, rowOffsets: [Int], indexStorage: RowStorage<Int32>,
    valueStorage: RowStorage<Scalar>
  ) {
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.rowOffsets = rowOffsets
    self.indexStorage = indexStorage
    self.valueStorage = valueStorage
  }

  /// Converts the values to another precision.
  public func converted<Other: KMeansScalar>(to _: Other.Type) -> SparseMatrix<Other> {
    SparseMatrix<Other>(
      validatedRowCount: rowCount, columnCount: columnCount, rowOffsets: rowOffsets,
      columnIndices: columnIndices, values: values.map { Other($0) })
  }
}
