import CKMeansSIMD

/// An element type that rows can be kept in, at its own width, and widened exactly to `Float`
/// or `Double` as the kernels read them: half or a quarter of float32's memory for embeddings
/// saved as float16 or bfloat16 and for quantized byte vectors (SIFT's `.bvecs`).
///
/// Every value of these types is exactly a `Float`, so rows kept compact train to the same
/// bits as the same rows widened beforehand.
public enum CompactElement: String, Sendable, CaseIterable, Codable {
  /// IEEE 754 half precision (binary16): 1 sign, 5 exponent and 10 fraction bits; NumPy's
  /// `float16`.
  case float16
  /// bfloat16: the upper 16 bits of a float32 (8 exponent, 7 fraction bits), as `ml_dtypes`
  /// and machine-learning frameworks store it.
  case bfloat16
  /// Unsigned bytes, 0 … 255.
  case uint8
  /// Signed bytes, −128 … 127.
  case int8

  /// Bytes per element: 2 or 1.
  public var byteCount: Int {
    switch self {
    case .float16, .bfloat16: 2
    case .uint8, .int8: 1
    }
  }

  /// The C kernels' code of the element type.
  var code: Int32 {
    switch self {
    case .float16: KMEANS_ELEMENT_FLOAT16
    case .bfloat16: KMEANS_ELEMENT_BFLOAT16
    case .uint8: KMEANS_ELEMENT_UINT8
    case .int8: KMEANS_ELEMENT_INT8
    }
  }
}

/// Widening compact elements to the working precision: vectorized (AVX-512, or AVX2 with
/// F16C's `vcvtph2ps`), exact, the same bits on every ISA.
package enum Widening {
  /// The elements `elements` of `bytes` (little-endian `element`s, packed), widened into
  /// `target[start ..< start + elements.count]`; `level` picks the vector code (the process's
  /// fused kernel level by default; 0: the portable loop).
  package static func widen<Scalar: KMeansScalar>(
    _ element: CompactElement, _ bytes: RowStorage<UInt8>, elements: Range<Int>,
    into target: inout [Scalar], at start: Int, level: Int32 = FusedKernel.level
  ) {
    precondition(elements.lowerBound >= 0 && elements.upperBound * element.byteCount <= bytes.count)
    precondition(start >= 0 && start + elements.count <= target.count)
    guard !elements.isEmpty else { return }
    bytes.withUnsafeBufferPointer { source in
      target.withUnsafeMutableBufferPointer { output in
        widen(
          element, UnsafeRawPointer(source.baseAddress! + elements.lowerBound * element.byteCount),
          count: elements.count, into: output.baseAddress! + start, level: level)
      }
    }
  }

  /// `count` elements from `source` into `target`.
  static func widen<Scalar: KMeansScalar>(
    _ element: CompactElement, _ source: UnsafeRawPointer, count: Int,
    into target: UnsafeMutablePointer<Scalar>, level: Int32
  ) {
    if Scalar.self == Float.self {
      target.withMemoryRebound(to: Float.self, capacity: count) {
        kmeans_widen_f32(level, element.code, source, count, $0)
      }
    } else {
      target.withMemoryRebound(to: Double.self, capacity: count) {
        kmeans_widen_f64(level, element.code, source, count, $0)
      }
    }
  }

  /// Rows `rows` of a `columnCount`-column compact matrix, widened into a new row-major array,
  /// in parallel over blocks of rows on `threadCount` workers.
  package static func widenRows<Scalar: KMeansScalar>(
    _ element: CompactElement, _ bytes: RowStorage<UInt8>, columnCount: Int, rows: Range<Int>,
    threadCount: Int, as _: Scalar.Type = Scalar.self
  ) -> [Scalar] {
    widenBlocks(
      element, bytes, columnCount: columnCount, rows: rows, threadCount: threadCount
    ) { (_: UnsafeMutablePointer<Scalar>, _, _, _) in }
  }

  /// Rows `rows` widened as ``widenRows(_:_:columnCount:rows:threadCount:as:)`` does, each
  /// block then checked and (with `normalize`) scaled to unit length in place while it is in
  /// cache — the values and the errors of `RowChecks.firstNonFinite` and
  /// `RowChecks.normalizedRows` over the widened rows, in one parallel pass.
  /// - Returns: the values; the first (row, column) holding NaN or ±∞ (then the values are
  ///   not to be used), else, under `normalize`, the first row of zero length (left zeros).
  package static func prepareRows<Scalar: KMeansScalar>(
    _ element: CompactElement, _ bytes: RowStorage<UInt8>, columnCount: Int, rows: Range<Int>,
    threadCount: Int, normalize: Bool, as _: Scalar.Type = Scalar.self
  ) -> (values: [Scalar], nonFinite: (row: Int, column: Int)?, zeroRow: Int?) {
    let nonFinite = FirstByBlock<(row: Int, column: Int)>()
    let zeroRows = FirstByBlock<Int>()
    let values = widenBlocks(
      element, bytes, columnCount: columnCount, rows: rows, threadCount: threadCount
    ) { (start: UnsafeMutablePointer<Scalar>, block, first, blockRows) in
      if let bad = Scalar._kernels.firstNonFinite(start, blockRows, columnCount) {
        nonFinite.report((first + bad.row, bad.column), block: block)
        return
      }
      if normalize, let zero = Scalar._kernels.normalizeRows(start, blockRows, columnCount, start) {
        zeroRows.report(first + zero, block: block)
      }
    }
    return (values, nonFinite.first, zeroRows.first)
  }

  /// Widens rows `rows` into a new array in blocks of about 256 KiB of output (so that each
  /// worker's writes stay in its cache), in parallel, calling `body` with each block's first
  /// value, its index, its first row (counted from `rows.lowerBound`) and its row count while
  /// the block is in cache.
  private static func widenBlocks<Scalar: KMeansScalar>(
    _ element: CompactElement, _ bytes: RowStorage<UInt8>, columnCount: Int, rows: Range<Int>,
    threadCount: Int,
    _ body: @escaping @Sendable (UnsafeMutablePointer<Scalar>, Int, Int, Int) -> Void
  ) -> [Scalar] {
    let count = rows.count * columnCount
    precondition(
      rows.lowerBound >= 0 && rows.upperBound * columnCount * element.byteCount <= bytes.count)
    guard count > 0 else { return [] }
    let width = element.byteCount
    let level = FusedKernel.level
    let blocks = RowBlocks(
      rowCount: rows.count, bytesPerRow: columnCount * MemoryLayout<Scalar>.stride)
    return [Scalar](unsafeUninitializedCapacity: count) { output, initialized in
      bytes.withUnsafeBufferPointer { source in
        let shared = UnsafeSendable(
          (
            UnsafeRawPointer(source.baseAddress! + rows.lowerBound * columnCount * width),
            output.baseAddress!
          ))
        blocks.forEach(threadCount: threadCount) { block, blockRows in
          let (input, target) = shared.value
          let start = target + blockRows.lowerBound * columnCount
          widen(
            element, input + blockRows.lowerBound * columnCount * width,
            count: blockRows.count * columnCount, into: start, level: level)
          body(start, block, blockRows.lowerBound, blockRows.count)
        }
      }
      initialized = count
    }
  }

  /// The given rows (any order, repeats allowed) of a `columnCount`-column compact matrix,
  /// widened into a new row-major array.
  package static func gatherRows<Scalar: KMeansScalar>(
    _ element: CompactElement, _ bytes: RowStorage<UInt8>, columnCount: Int, rows: [Int],
    as _: Scalar.Type = Scalar.self
  ) -> [Scalar] {
    var output = [Scalar](repeating: 0, count: rows.count * columnCount)
    for (position, row) in rows.enumerated() {
      widen(
        element, bytes, elements: row * columnCount..<(row + 1) * columnCount, into: &output,
        at: position * columnCount)
    }
    return output
  }
}
