#if canImport(_Differentiation)
  import KMeans
  import _Differentiation

  /// `Matrix` is its own tangent: a dense matrix of the same shape. The zero tangent is the
  /// empty 0 × 0 matrix, which adds as the identity to a matrix of any shape (the pullbacks of
  /// unused results return it without allocating).
  extension Matrix: AdditiveArithmetic {
    /// The additive identity for every shape: a 0 × 0 matrix.
    public static var zero: Matrix { Matrix(zerosWithRowCount: 0, columnCount: 0) }

    /// The sum, element by element; a 0 × 0 operand is the zero of the other's shape.
    public static func + (left: Matrix, right: Matrix) -> Matrix {
      if left.isZeroTangent { return right }
      if right.isZeroTangent { return left }
      precondition(
        left.rowCount == right.rowCount && left.columnCount == right.columnCount,
        "adding a \(left.rowCount) × \(left.columnCount) matrix to a \(right.rowCount) × \(right.columnCount) one"
      )
      return left.combined(with: right, +)
    }

    /// The difference, element by element; a 0 × 0 operand is the zero of the other's shape.
    public static func - (left: Matrix, right: Matrix) -> Matrix {
      if right.isZeroTangent { return left }
      if left.isZeroTangent { return right.mapValues { -$0 } }
      precondition(
        left.rowCount == right.rowCount && left.columnCount == right.columnCount,
        "subtracting a \(right.rowCount) × \(right.columnCount) matrix from a \(left.rowCount) × \(left.columnCount) one"
      )
      return left.combined(with: right, -)
    }

    /// True for the 0 × 0 matrix, the zero tangent of every shape.
    var isZeroTangent: Bool { rowCount == 0 && columnCount == 0 }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func combined(with other: Matrix, _ operation: (Scalar, Scalar) -> Scalar) -> Matrix {
      Matrix(
        unchecked: zip(values, other.values).map(operation), rows: rowCount, columns: columnCount)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func mapValues(_ transform: (Scalar) -> Scalar) -> Matrix {
      Matrix(unchecked: values.map(transform), rows: rowCount, columns: columnCount)
    }

    /// A matrix from values whose count is known to be `rows × columns`.
    init(unchecked values: [Scalar], rows: Int, columns: Int) {
      self.init(checkedValues: values, rowCount: rows, columnCount: columns)
    }
  }

  extension Matrix: Differentiable
  where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    /// A matrix's tangent is a matrix of the same shape.
    public typealias TangentVector = Matrix

    /// Adds `offset` (a gradient step: `move(by: gradient.scaled(by: -rate))`).
    public mutating func move(by offset: Matrix) { self = self + offset }
  }
#endif
