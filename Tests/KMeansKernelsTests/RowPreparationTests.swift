import CKMeansSIMD
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

  @Test("rows copied into huge pages (over 8 MiB) keep the serial pass's bits")
  func largeCopy() {
    let columns = 384
    let values = Self.rows(6_000, columns)
    #expect(values.count * MemoryLayout<Float>.stride >= LargePages.minimumBytes)
    let serial = RowChecks.normalizedRows(Self.view(values, columns))
    let prepared = RowChecks.prepared(Self.view(values, columns), normalize: true, threadCount: 2)
    #expect(prepared.values?.map(\.bitPattern) == serial.values.map(\.bitPattern))
  }

  /// Column moments by their definition: each block's mean from its sum in row order, its
  /// squared deviations in row order, the blocks merged in block order.
  static func blockedMoments(_ values: [Double], _ columns: Int) -> ColumnMoments {
    let n = values.count / columns
    let blockRows = ColumnMoments.blockRows(rowCount: n)
    var total = ColumnMoments(columnCount: columns)
    for start in stride(from: 0, to: n, by: blockRows) {
      let rows = start..<min(n, start + blockRows)
      var mean = [Double](repeating: 0, count: columns)
      var deviations = [Double](repeating: 0, count: columns)
      for row in rows {
        for column in 0..<columns { mean[column] += values[row * columns + column] }
      }
      for column in 0..<columns { mean[column] *= 1 / Double(rows.count) }
      for row in rows {
        for column in 0..<columns {
          let deviation = values[row * columns + column] - mean[column]
          deviations[column] += deviation * deviation
        }
      }
      total.merge(
        ColumnMoments(count: Double(rows.count), mean: mean, squaredDeviations: deviations))
    }
    return total
  }

  /// Each column's variance by two plain passes over all rows.
  static func twoPassVariances(_ values: [Double], _ columns: Int) -> [Double] {
    let n = values.count / columns
    return (0..<columns).map { column in
      let mean = (0..<n).reduce(0.0) { $0 + values[$1 * columns + column] } / Double(n)
      return (0..<n).reduce(0.0) {
        $0 + (values[$1 * columns + column] - mean) * (values[$1 * columns + column] - mean)
      } / Double(n)
    }
  }

  // Blocks of 1,024 rows up to 65,536 rows, then 64 blocks (70,000 rows: 1,094 a block).
  @Test(
    "column moments: block moments merged in block order, the same bits on 1 and 2 threads",
    arguments: [1, 1_023, 1_024, 1_025, 5_000, 70_000])
  func columnMoments(rows: Int) {
    let columns = 5
    let floats = Self.rows(rows, columns)
    let values = floats.map(Double.init)
    let expected = Self.blockedMoments(values, columns)
    let variances = Self.twoPassVariances(values, columns)
    for threads in [1, 2] {
      let moments = ColumnMoments(Self.view(floats, columns), threadCount: threads)
      #expect(moments.count == Double(rows))
      #expect(moments.mean.map(\.bitPattern) == expected.mean.map(\.bitPattern))
      #expect(
        moments.squaredDeviations.map(\.bitPattern)
          == expected.squaredDeviations.map(\.bitPattern))
      for column in 0..<columns {
        let variance = moments.squaredDeviations[column] / Double(rows)
        #expect(abs(variance - variances[column]) <= 1e-12 * max(1, variances[column]))
      }
    }
  }

  @Test("merged moments are the moments of the union, stable far from the origin")
  func mergedMoments() {
    let columns = 3
    // Values near 10⁹ with variances of about 1: Σx² − (Σx)²/n would lose every digit (its
    // rounding alone is about 10² here); the merged moments keep six.
    let values = Self.rows(3_000, columns).map { 1e9 + Double($0) / 16 }
    let whole = Self.blockedMoments(values, columns)
    var halves = Self.blockedMoments(Array(values[..<(1_000 * columns)]), columns)
    halves.merge(Self.blockedMoments(Array(values[(1_000 * columns)...]), columns))
    var withEmpty = ColumnMoments(columnCount: columns)
    withEmpty.merge(whole)
    withEmpty.merge(ColumnMoments(columnCount: columns))
    #expect(withEmpty == whole)
    let variances = Self.twoPassVariances(values, columns)
    for column in 0..<columns {
      #expect(variances[column] > 0.5)
      for moments in [whole, halves] {
        let variance = moments.squaredDeviations[column] / moments.count
        #expect(abs(variance - variances[column]) <= 1e-6 * variances[column])
      }
    }
    #expect(halves.count == 3_000)
    let packed = ColumnMoments(packed: whole.packed[...], columnCount: columns)
    #expect(packed == whole)
    #expect(abs(whole.meanVariance - variances.reduce(0, +) / 3) <= 1e-6 * whole.meanVariance)
  }

  /// The levels of the finiteness scan this machine can run: the portable loop, AVX2, AVX-512.
  static var scanLevels: [Int32] { (0...kmeans_simd_level()).filter { $0 <= 2 } }

  // Across the vector steps (64 floats and 32 doubles with AVX-512, 32 and 16 with AVX2) and
  // their tails.
  @Test(
    "the finiteness scan finds NaN and ±∞ at every position, float and double, at every level",
    arguments: [1, 15, 16, 31, 32, 33, 63, 64, 65, 130, 200])
  func finitenessScan(count: Int) {
    let specials: [Double] = [.nan, .infinity, -.infinity, .signalingNaN]
    for level in Self.scanLevels {
      var floats = (0..<count).map { Float($0) * 0.5 - 3 }
      var doubles = floats.map(Double.init)
      // Finite extremes are finite.
      floats[count / 2] = .greatestFiniteMagnitude
      doubles[count / 2] = -.greatestFiniteMagnitude
      #expect(kmeans_simd_all_finite_f32(level, floats, count) == 1)
      #expect(kmeans_simd_all_finite_f64(level, doubles, count) == 1)
      for position in Set([0, count / 3, count - 1]) {
        for special in specials {
          var badFloats = floats
          var badDoubles = doubles
          badFloats[position] = Float(special)
          badDoubles[position] = special
          #expect(kmeans_simd_all_finite_f32(level, badFloats, count) == 0)
          #expect(kmeans_simd_all_finite_f64(level, badDoubles, count) == 0)
        }
      }
    }
  }

  @Test("the first bad double in row order is named")
  func firstBadDouble() {
    let columns = 7
    var values = Self.rows(300, columns).map(Double.init)
    values[250 * columns + 1] = .infinity
    values[40 * columns + 6] = .nan
    let rows = DenseRows(storage: values, rowCount: 300, columnCount: columns)
    let found = RowChecks.firstNonFinite(rows)
    #expect(found?.row == 40 && found?.column == 6)
    let clean = DenseRows(
      storage: Self.rows(300, columns).map(Double.init), rowCount: 300, columnCount: columns)
    #expect(RowChecks.firstNonFinite(clean) == nil)
  }
}
