/// Rows of a dense row-major matrix, seen through the array that stores them: row `i` is
/// `storage[offset + i·columnCount ..< offset + (i + 1)·columnCount]`. A value type with no
/// pointers: the kernels borrow pointers to it only inside a call.
package struct DenseRows<Scalar: KMeansScalar>: Sendable {
  package let storage: RowStorage<Scalar>
  package let offset: Int
  package let rowCount: Int
  package let columnCount: Int

  package init(storage: RowStorage<Scalar>, offset: Int = 0, rowCount: Int, columnCount: Int) {
    precondition(offset >= 0 && offset + rowCount * columnCount <= storage.count)
    self.storage = storage
    self.offset = offset
    self.rowCount = rowCount
    self.columnCount = columnCount
  }

  package init(storage: [Scalar], offset: Int = 0, rowCount: Int, columnCount: Int) {
    self.init(
      storage: .owned(storage), offset: offset, rowCount: rowCount, columnCount: columnCount)
  }

  /// A view of the rows in `range`.
  package func rows(_ range: Range<Int>) -> DenseRows {
    precondition(range.lowerBound >= 0 && range.upperBound <= rowCount)
    return DenseRows(
      storage: storage, offset: offset + range.lowerBound * columnCount, rowCount: range.count,
      columnCount: columnCount)
  }

  /// Calls `body` with a pointer to the first row.
  func withPointer<Result>(_ body: (UnsafePointer<Scalar>) throws -> Result) rethrows -> Result {
    try storage.withUnsafeBufferPointer { buffer in
      // An empty matrix still needs a valid pointer.
      guard let base = buffer.baseAddress else {
        let placeholder = Scalar.zero
        return try withUnsafePointer(to: placeholder) { try body($0) }
      }
      return try body(base + offset)
    }
  }
}

/// Rows of a CSR matrix (row offsets, column indices, values) with ‖x‖² per row: `rowCount`
/// rows starting at row `firstRow` of the arrays.
package struct CSRRows<Scalar: KMeansScalar>: Sendable {
  package let rowOffsets: [Int]
  package let columnIndices: RowStorage<Int32>
  package let values: RowStorage<Scalar>
  /// ‖x‖² per row of the arrays (not of the view).
  package let squaredNorms: [Scalar]
  package let firstRow: Int
  package let rowCount: Int
  package let columnCount: Int

  package init(
    rowOffsets: [Int], columnIndices: RowStorage<Int32>, values: RowStorage<Scalar>,
    squaredNorms: [Scalar], columnCount: Int, firstRow: Int = 0, rowCount: Int? = nil
  ) {
    self.rowOffsets = rowOffsets
    self.columnIndices = columnIndices
    self.values = values
    self.squaredNorms = squaredNorms
    self.columnCount = columnCount
    self.firstRow = firstRow
    self.rowCount = rowCount ?? (rowOffsets.count - 1 - firstRow)
  }

  /// A view of the rows in `range`.
  package func rows(_ range: Range<Int>) -> CSRRows {
    CSRRows(
      rowOffsets: rowOffsets, columnIndices: columnIndices, values: values,
      squaredNorms: squaredNorms, columnCount: columnCount, firstRow: firstRow + range.lowerBound,
      rowCount: range.count)
  }

  /// Calls `body` with the kernels' pointer view (rows indexed from `firstRow`).
  func withRows<Result>(_ body: (SparseRows<Scalar>) throws -> Result) rethrows -> Result {
    try rowOffsets.withUnsafeBufferPointer { offsets in
      try columnIndices.withUnsafeBufferPointer { indices in
        try values.withUnsafeBufferPointer { valueBuffer in
          try squaredNorms.withUnsafeBufferPointer { norms in
            let index = Int32(0)
            let value = Scalar.zero
            let norm = Scalar.zero
            return try withUnsafePointer(to: index) { indexFallback in
              try withUnsafePointer(to: value) { valueFallback in
                try withUnsafePointer(to: norm) { normFallback in
                  try body(
                    SparseRows(
                      rowOffsets: offsets.baseAddress!,
                      columnIndices: indices.baseAddress ?? indexFallback,
                      values: valueBuffer.baseAddress ?? valueFallback,
                      squaredNorms: norms.baseAddress ?? normFallback))
                }
              }
            }
          }
        }
      }
    }
  }
}

/// Centers as the kernels read them: `count × dimension` row-major values with ‖c‖² per
/// center, and (built on first use by the sparse kernels) their transpose.
package struct KernelCenters<Scalar: KMeansScalar>: Sendable {
  package let values: [Scalar]
  package let count: Int
  package let dimension: Int
  package let squaredNorms: [Scalar]

  /// Centers from their row-major values; computes the squared norms.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package init(values: [Scalar], count: Int, dimension: Int) {
    precondition(values.count == count * dimension)
    self.values = values
    self.count = count
    self.dimension = dimension
    var norms = [Scalar](repeating: 0, count: count)
    values.withUnsafeBufferPointer { buffer in
      for center in 0..<count {
        norms[center] = VectorKernels.dot(
          buffer.baseAddress! + center * dimension, buffer.baseAddress! + center * dimension,
          dimension)
      }
    }
    self.squaredNorms = norms
  }

  /// Calls `body` with the block of `rows` against these centers.
  func withBlock<Result>(
    _ rows: DenseRows<Scalar>, distance: DistanceKind, _ body: (DistanceBlock<Scalar>) -> Result
  ) -> Result {
    rows.withPointer { points in
      withElementPointers(values, squaredNorms) { centers, norms in
        body(
          DistanceBlock(
            points: points, rowCount: rows.rowCount, dimension: rows.columnCount,
            centers: centers, centerCount: count, centerSquaredNorms: norms, distance: distance))
      }
    }
  }

  /// The transposed layout (`dimension × count`) the sparse kernels read, with ‖c‖² summed
  /// in column order (as scikit-learn's sparse path does: on sparse data full of near ties
  /// the summation order decides labels).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package func transposed() -> TransposedCenterValues<Scalar> {
    var transposed = [Scalar](repeating: 0, count: count * dimension)
    var norms = [Scalar](repeating: 0, count: count)
    for center in 0..<count {
      var norm = Scalar.zero
      for column in 0..<dimension {
        let value = values[center * dimension + column]
        transposed[column * count + center] = value
        norm += value * value
      }
      norms[center] = norm
    }
    return TransposedCenterValues(values: transposed, squaredNorms: norms, count: count)
  }
}

/// Centers transposed to `dimension × count`, with their squared norms: the layout the sparse
/// kernels read.
package struct TransposedCenterValues<Scalar: KMeansScalar>: Sendable {
  package let values: [Scalar]
  package let squaredNorms: [Scalar]
  package let count: Int

  func withCenters<Result>(
    distance: DistanceKind, _ body: (TransposedCenters<Scalar>) -> Result
  ) -> Result {
    withElementPointers(values, squaredNorms) { values, norms in
      body(
        TransposedCenters(
          values: values, centerCount: count, squaredNorms: norms, distance: distance))
    }
  }
}

/// Calls `body` with pointers to the elements of `first` and `second`, or to a zero for an
/// empty array (the kernels read nothing there, but take a valid pointer).
func withElementPointers<Scalar: KMeansScalar, Result>(
  _ first: [Scalar], _ second: [Scalar],
  _ body: (UnsafePointer<Scalar>, UnsafePointer<Scalar>) -> Result
) -> Result {
  first.withUnsafeBufferPointer { first in
    second.withUnsafeBufferPointer { second in
      withUnsafePointer(to: Scalar.zero) { fallback in
        body(first.baseAddress ?? fallback, second.baseAddress ?? fallback)
      }
    }
  }
}
