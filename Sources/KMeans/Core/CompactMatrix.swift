import KMeansKernels

@_exported import enum KMeansKernels.CompactElement

/// A dense, row-major `rowCount × columnCount` matrix kept in a compact element type —
/// float16, bfloat16, uint8 or int8 (`CompactElement`) — and trained, predicted and scored
/// in `Scalar` (`Float`, or `Double`): half or a quarter of a float32 matrix's memory.
///
/// The engine widens the rows a piece at a time as it reads them (a few thousand rows per
/// worker, vectorized: F16C's `vcvtph2ps` or AVX-512), so memory holds the compact rows plus
/// one piece of widened rows. Widening is exact — every float16, bfloat16, uint8 and int8 is
/// a `Float` — so a compact matrix trains to the same centers, labels and inertia, bit for
/// bit, as the ``Matrix`` of its widened values, with every algorithm, seeding and setting.
///
/// ```swift
/// // 1M float16 embeddings of 384 values: 768 MB instead of 1.5 GB.
/// let embeddings = try CompactMatrix<Float>(
///   rowCount: 1_000_000, columnCount: 384, element: .float16, bytes: float16Bytes)
/// var configuration = KMeansConfiguration(clusterCount: 1_000)
/// configuration.metric = .cosine
/// let result = try KMeansModel.fit(embeddings, configuration: configuration)
/// ```
public struct CompactMatrix<Scalar: KMeansScalar>: Sendable {
  /// The elements, little-endian, row after row.
  let bytes: RowStorage<UInt8>
  /// The number of rows (samples).
  public let rowCount: Int
  /// The number of columns (features, the dimension).
  public let columnCount: Int
  /// The type every element is stored in.
  public let element: CompactElement

  /// A matrix over `bytes`: `rowCount × columnCount` little-endian elements of `element`, row
  /// after row (the layout of a C-order NumPy array of that type).
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when `bytes` does not hold exactly
  ///   `rowCount × columnCount` elements.
  public init(rowCount: Int, columnCount: Int, element: CompactElement, bytes: [UInt8]) throws {
    try self.init(
      rowCount: rowCount, columnCount: columnCount, element: element, storage: .owned(bytes))
  }

  /// A matrix over `storage` (owned bytes, or a caller's memory read in place).
  package init(
    rowCount: Int, columnCount: Int, element: CompactElement, storage: RowStorage<UInt8>
  ) throws {
    let (elements, overflow) = rowCount.multipliedReportingOverflow(by: columnCount)
    guard rowCount >= 0, columnCount >= 0, !overflow,
      storage.count == elements * element.byteCount
    else {
      throw KMeansError.shapeMismatch(
        "\(storage.count) bytes cannot hold a \(rowCount) × \(columnCount) matrix of \(element) (\(element.byteCount) bytes each)"
      )
    }
    self.bytes = storage
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.element = element
  }

  /// The bytes the elements take: `rowCount × columnCount × element.byteCount`.
  public var byteCount: Int { bytes.count }

  /// The rows `range`, copied, at their own width.
  package func rows(_ range: Range<Int>) -> CompactMatrix {
    precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows outside the matrix")
    let rowBytes = columnCount * element.byteCount
    // swift-format-ignore: NeverUseForceTry
    return try! CompactMatrix(
      rowCount: range.count, columnCount: columnCount, element: element,
      storage: .owned(bytes.copy((range.lowerBound * rowBytes)..<(range.upperBound * rowBytes))))
  }

  /// Every row widened to `Scalar` (exact): the ``Matrix`` this matrix trains as.
  public func widened() -> Matrix<Scalar> {
    widened(rows: 0..<rowCount, threadCount: 1)
  }

  /// The rows `range`, widened to `Scalar` on `threadCount` workers.
  package func widened(rows range: Range<Int>, threadCount: Int) -> Matrix<Scalar> {
    precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows outside the matrix")
    return Matrix(
      checkedValues: Widening.widenRows(
        element, bytes, columnCount: columnCount, rows: range, threadCount: threadCount),
      rowCount: range.count, columnCount: columnCount)
  }

  /// The rows `range` widened, checked and, with `normalize`, scaled to unit length (see
  /// `Widening.prepareRows`).
  package func prepared(rows range: Range<Int>, threadCount: Int, normalize: Bool) -> (
    rows: Matrix<Scalar>, nonFinite: (row: Int, column: Int)?, zeroRow: Int?
  ) {
    precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows outside the matrix")
    let (values, nonFinite, zeroRow) = Widening.prepareRows(
      element, bytes, columnCount: columnCount, rows: range, threadCount: threadCount,
      normalize: normalize, as: Scalar.self)
    return (
      Matrix(checkedValues: values, rowCount: range.count, columnCount: columnCount), nonFinite,
      zeroRow
    )
  }

  /// The given rows (any order), widened to `Scalar`.
  package func widened(gathering rows: [Int]) -> Matrix<Scalar> {
    Matrix(
      checkedValues: Widening.gatherRows(element, bytes, columnCount: columnCount, rows: rows),
      rowCount: rows.count, columnCount: columnCount)
  }
}

extension CompactMatrix: KMeansTrainable {
  /// The matrix's rows, in memory at their own width.
  public var trainingRows: TrainingRows<Scalar> { .compact(self) }
}
