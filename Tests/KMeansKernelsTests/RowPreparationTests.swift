import Testing

@testable import KMeansKernels

/// The one parallel pass that checks rows for NaN/±∞ and normalises them (`RowChecks.prepared`)
/// against the serial checks it replaces, across the sizes where its blocks change.
@Suite("Preparing rows in parallel blocks")
struct RowPreparationTests {
  /// Rows of `columns` values from a fixed generator (a few exact zeros among them).
  static func rows(_ count: Int, _ columns: Int) -> [Float] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<(count * columns)).map { index in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let value = Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 37
      return index % 97 == 5 ? 0 : value
    }
  }

  static func view(_ values: [Float], _ columns: Int) -> DenseRows<Float> {
    DenseRows(storage: values, rowCount: values.count / columns, columnCount: columns)
  }

  // 384 columns: 170 rows a block, so 169, 170, 171 and 1,000 rows cross block boundaries.
  @Test(
    "the unit rows and their bits are the serial pass's, on 1 and 2 threads",
    arguments: [(1, 3), (169, 384), (170, 384), (171, 384), (1000, 384), (5000, 7)])
  func sameValues(rows: Int, columns: Int) {
    let values = Self.rows(rows, columns)
    let serial = RowChecks.normalizedRows(Self.view(values, columns))
    for threads in [1, 2] {
      let prepared = RowChecks.prepared(
        Self.view(values, columns), normalize: true, threadCount: threads)
      #expect(prepared.nonFinite == nil)
      #expect(prepared.zeroRow == serial.zeroRow)
      #expect(prepared.values?.map(\.bitPattern) == serial.values.map(\.bitPattern))
      let unchanged = RowChecks.prepared(
        Self.view(values, columns), normalize: false, threadCount: threads)
      #expect(unchanged.values == nil && unchanged.nonFinite == nil && unchanged.zeroRow == nil)
    }
  }

  @Test(
    "the first bad value in row order is named, whichever block a worker reaches first",
    arguments: [Float.nan, .infinity, -.infinity])
  func firstBadValue(bad: Float) {
    let columns = 384
    var values = Self.rows(1000, columns)
    // Two bad values in later blocks, one in an earlier block: the earliest wins.
    values[900 * columns + 3] = bad
    values[600 * columns + 10] = bad
    values[171 * columns + 383] = bad
    for threads in [1, 2] {
      for normalize in [false, true] {
        let prepared = RowChecks.prepared(
          Self.view(values, columns), normalize: normalize, threadCount: threads)
        #expect(prepared.nonFinite?.row == 171 && prepared.nonFinite?.column == 383)
        #expect(prepared.values == nil)
        #expect(RowChecks.firstNonFinite(Self.view(values, columns))?.row == 171)
      }
    }
  }

  @Test("the first zero row is named under normalisation, on 1 and 2 threads")
  func firstZeroRow() {
    let columns = 384
    var values = Self.rows(1000, columns)
    for row in [950, 400, 341] {
      for column in 0..<columns { values[row * columns + column] = 0 }
    }
    for threads in [1, 2] {
      let prepared = RowChecks.prepared(
        Self.view(values, columns), normalize: true, threadCount: threads)
      #expect(prepared.zeroRow == 341)
      #expect(prepared.nonFinite == nil)
      #expect(RowChecks.normalizedRows(Self.view(values, columns)).zeroRow == 341)
    }
  }
}
