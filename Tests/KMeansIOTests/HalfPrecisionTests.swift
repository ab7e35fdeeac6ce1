import Foundation
import KMeans
import KMeansBytes
import KMeansIO
import KMeansTestSupport
import Testing

/// float16, bfloat16, uint8 and int8 `.npy` files (written by NumPy and ml_dtypes:
/// Scripts/generate-half-precision-fixtures.py) read as NumPy widens them, and the conversions
/// behind them checked pattern by pattern.
@Suite("Half-precision and 8-bit data")
struct HalfPrecisionTests {
  struct Expected: Decodable {
    var values: [String: [[Double]]]
  }

  static let files = ["float16-3x6.npy", "bfloat16-3x6.npy", "uint8-2x5.npy", "int8-2x5.npy"]

  static func expected(_ file: String) throws -> [[Double]] {
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("half-precision.json")))
    return try #require(try JSONDecoder().decode(Expected.self, from: data).values[file])
  }

  /// The bits of every value, so that −0 and 0 differ.
  static func bits<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>) -> [UInt64] {
    matrix.values.map { Double($0).bitPattern }
  }

  @Test(
    "each file reads as NumPy widens it, whole and streamed, in Float and Double", arguments: files)
  func readsAsNumPy(file: String) throws {
    let expected = try Self.expected(file).flatMap { $0 }.map(\.bitPattern)
    let path = Fixtures.path(file)
    #expect(Self.bits(try NumPyFile.read(path, as: Float.self)) == expected)
    #expect(Self.bits(try NumPyFile.read(path, as: Double.self)) == expected)
    for access in [NumPyBatchReader<Float>.Access.memoryMapped, .chunkedReads] {
      let reader = try NumPyBatchReader<Float>(path, access: access)
      var streamed: [UInt64] = []
      while let batch = try reader.nextBatch(maxRows: 2) { streamed += Self.bits(batch) }
      #expect(streamed == expected, "\(access)")
    }
    let opened = try openBatchSource(path, as: Double.self)
    #expect(opened.columnCount == (try Self.expected(file)[0].count))
  }

  @Test(
    "each file kept at its own width widens to the values NumPy reads; other types are not compact",
    arguments: files)
  func keptCompact(file: String) throws {
    let expected = try Self.expected(file).flatMap { $0 }.map(\.bitPattern)
    let path = Fixtures.path(file)
    let compact = try #require(try NumPyFile.readCompact(path, as: Float.self))
    #expect(compact.element.rawValue == file.split(separator: "-")[0].description)
    #expect(Self.bits(compact.widened()) == expected)
    #expect(
      Self.bits(try #require(try NumPyFile.readCompact(path, as: Double.self)).widened())
        == expected)
    #expect(try NumPyFile.readCompact(Fixtures.path("float64-3x2.npy"), as: Float.self) == nil)
    #expect(throws: KMeansError.self) { try NumPyFile.readCompact("/no/such.npy", as: Float.self) }
  }

  @Test("uint8 and int8 labels read as integers")
  func integerLabels() throws {
    #expect(try NumPyFile.readIntegers(Fixtures.path("uint8-labels.npy")) == [0, 1, 2, 255, 7])
    #expect(throws: KMeansError.self) {
      try NumPyFile.readIntegers(Fixtures.path("float16-3x6.npy"))
    }
  }

  #if !(os(macOS) && arch(x86_64))
    @Test("every binary16 pattern widens to Float16's value; narrowing rounds as Float16 does")
    func halfConversions() {
      for pattern in UInt16.min...UInt16.max {
        let reference = Float(Float16(bitPattern: pattern))
        let widened = HalfPrecision.float(fromHalf: pattern)
        #expect(
          widened.bitPattern == reference.bitPattern || (widened.isNaN && reference.isNaN),
          "pattern \(String(pattern, radix: 16))")
        // Every half, and the midpoints around it (ties to even) and just off them.
        guard reference.isFinite else { continue }
        let next = Float(Float16(bitPattern: pattern &+ 1))
        var probes = [reference]
        if next.isFinite, next.sign == reference.sign {
          let middle = (reference + next) / 2
          probes += [middle, middle.nextUp, middle.nextDown]
        }
        for probe in probes {
          #expect(
            HalfPrecision.halfBits(probe) == Float16(probe).bitPattern,
            "\(probe): \(String(HalfPrecision.halfBits(probe), radix: 16))")
        }
      }
      for probe: Float in [1e9, -1e9, 65520, 65519.99, .infinity, -.infinity, 1e-9, -1e-9] {
        #expect(HalfPrecision.halfBits(probe) == Float16(probe).bitPattern, "\(probe)")
      }
      #expect(HalfPrecision.float(fromHalf: HalfPrecision.halfBits(.nan)).isNaN)
    }
  #endif

  @Test("bfloat16 widens exactly and narrows to the nearest value, ties to even")
  func bfloat16Conversions() {
    var numbers = RandomSource(seed: 11)
    var probes: [Float] = [0, -0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
    for _ in 0..<20_000 {
      probes.append(Float(bitPattern: UInt32(truncatingIfNeeded: numbers.next())))
    }
    // Exact ties: a bfloat16 value plus half its last place.
    for upper in stride(from: UInt32(0x3F80), to: 0x3F90, by: 1) {
      probes.append(Float(bitPattern: upper << 16 | 0x8000))
    }
    for probe in probes where probe.isFinite {
      let bits = HalfPrecision.bfloat16Bits(probe)
      let below = probe.bitPattern & 0xFFFF_0000
      let lower = Float(bitPattern: below)
      let upper = Float(bitPattern: below &+ 0x1_0000)
      // The nearest of the two bfloat16 neighbours (measured in Double; infinity sits where
      // the next binade would start, 2¹²⁸), ties to the even one.
      let upperValue =
        upper.isInfinite ? Double(upper.sign == .minus ? -1 : 1) * 0x1p128 : Double(upper)
      let distanceBelow = abs(Double(probe) - Double(lower))
      let distanceAbove = abs(upperValue - Double(probe))
      let expected: UInt32 =
        distanceBelow < distanceAbove || (distanceBelow == distanceAbove && (below >> 16) & 1 == 0)
        ? below : below &+ 0x1_0000
      #expect(UInt32(bits) << 16 == expected, "\(probe)")
      #expect(HalfPrecision.float(fromBFloat16: bits).bitPattern == UInt32(bits) << 16)
    }
    #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(.nan)).isNaN)
    #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(.infinity)) == .infinity)
    #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(-.infinity)) == -.infinity)
  }
}
