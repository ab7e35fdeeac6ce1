import CKMeansSIMD
import Testing

@testable import KMeansKernels

/// Widening compact elements (float16, bfloat16, uint8, int8) to Float and Double: every
/// pattern, on every kernel this machine runs, against Swift's own conversions, and at every
/// remainder of the vector loops.
@Suite("Widening compact elements")
struct WideningTests {
  /// The levels this machine runs: the portable loop, AVX2 with F16C, AVX-512.
  static var levels: [Int32] {
    let supported = kmeans_simd_level()
    switch supported {
    case 2: return [0, 1, 2]
    case 1: return [0, 1]
    default: return [0]
    }
  }

  /// Every 16-bit pattern, or every byte, as little-endian bytes.
  static func allPatterns(_ element: CompactElement) -> [UInt8] {
    if element.byteCount == 1 { return (0...255).map { UInt8($0) } }
    return (0...UInt16.max).flatMap { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] }
  }

  /// The value of pattern `index` as Swift computes it (NaN: nil).
  static func reference(_ element: CompactElement, _ index: Int) -> Float? {
    let value: Float
    switch element {
    case .float16:
      #if !(os(macOS) && arch(x86_64))
        value = Float(Float16(bitPattern: UInt16(index)))
      #else
        return nil
      #endif
    case .bfloat16: value = Float(bitPattern: UInt32(index) << 16)
    case .uint8: value = Float(UInt8(index))
    case .int8: value = Float(Int8(bitPattern: UInt8(index)))
    }
    return value.isNaN ? nil : value
  }

  @Test(
    "every pattern widens exactly, to the same bits on every kernel",
    arguments: CompactElement.allCases)
  func everyPattern(element: CompactElement) {
    let bytes = RowStorage<UInt8>.owned(Self.allPatterns(element))
    let count = bytes.count / element.byteCount
    var portable = [Float](repeating: 0, count: count)
    Widening.widen(element, bytes, elements: 0..<count, into: &portable, at: 0, level: 0)
    for index in 0..<count {
      if let expected = Self.reference(element, index) {
        #expect(portable[index].bitPattern == expected.bitPattern, "pattern \(index)")
      } else if element == .bfloat16 || element == .float16 {
        // NaN, quiet, its payload kept.
        #expect(portable[index].isNaN && portable[index].bitPattern & 0x40_0000 != 0)
      }
    }
    for level in Self.levels {
      var widened = [Float](repeating: 1, count: count)
      Widening.widen(element, bytes, elements: 0..<count, into: &widened, at: 0, level: level)
      let differing = (0..<count).first { widened[$0].bitPattern != portable[$0].bitPattern }
      #expect(differing == nil, "level \(level), pattern \(differing ?? -1)")
      var doubles = [Double](repeating: 1, count: count)
      Widening.widen(element, bytes, elements: 0..<count, into: &doubles, at: 0, level: level)
      let wrongDouble = (0..<count).first {
        !(portable[$0].isNaN ? doubles[$0].isNaN : doubles[$0] == Double(portable[$0]))
      }
      #expect(wrongDouble == nil, "level \(level), pattern \(wrongDouble ?? -1)")
    }
  }

  @Test(
    "every start and length around the vector widths, leaving the rest untouched",
    arguments: CompactElement.allCases)
  func remainders(element: CompactElement) {
    let patterns = Self.allPatterns(element)
    let bytes = RowStorage<UInt8>.owned(Array(patterns[0..<(200 * element.byteCount)]))
    for level in Self.levels {
      for start in [0, 1, 3, 7] {
        for count in 0...40 {
          var widened = [Float](repeating: -7, count: count + 4)
          Widening.widen(
            element, bytes, elements: start..<(start + count), into: &widened, at: 2, level: level)
          var expected = [Float](repeating: -7, count: count + 4)
          Widening.widen(
            element, bytes, elements: start..<(start + count), into: &expected, at: 2, level: 0)
          #expect(
            widened.map(\.bitPattern) == expected.map(\.bitPattern),
            "level \(level) \(start) \(count)")
          #expect(
            widened[0] == -7 && widened[1] == -7 && widened[count + 2] == -7
              && widened[count + 3] == -7)
        }
      }
    }
  }

  @Test("rows widen in parallel blocks and gather in any order", arguments: [1, 2, 3])
  func rowsAndGathers(threads: Int) {
    let columns = 77
    let rows = 3_001  // several 256 KiB blocks, and a ragged last one
    var state: UInt32 = 12345
    let raw = (0..<(rows * columns * 2)).map { _ -> UInt8 in
      state = state &* 1_664_525 &+ 1_013_904_223
      return UInt8(truncatingIfNeeded: state >> 24) & 0x7B  // no NaN or infinity
    }
    let bytes = RowStorage<UInt8>.owned(raw)
    let whole: [Float] = Widening.widenRows(
      .float16, bytes, columnCount: columns, rows: 0..<rows, threadCount: threads)
    var expected = [Float](repeating: 0, count: rows * columns)
    Widening.widen(
      .float16, bytes, elements: 0..<(rows * columns), into: &expected, at: 0, level: 0)
    #expect(whole == expected)
    let middle: [Double] = Widening.widenRows(
      .float16, bytes, columnCount: columns, rows: 1_000..<2_999, threadCount: threads)
    #expect(middle == expected[(1_000 * columns)..<(2_999 * columns)].map(Double.init))
    let picked = [2_999, 0, 17, 17, 3_000]
    let gathered: [Float] = Widening.gatherRows(.float16, bytes, columnCount: columns, rows: picked)
    #expect(gathered == picked.flatMap { expected[($0 * columns)..<(($0 + 1) * columns)] })
  }
}
