import CKMeansSIMD
import Foundation

/// The little-endian element types binary files store (`.npy`, `.fvecs`, checkpoints).
package enum StoredElement: Sendable, Equatable {
  case float32, float64, int32, int64, uint8, int8
  /// IEEE 754 binary16.
  case float16
  /// bfloat16: the upper 16 bits of a float32.
  case bfloat16

  /// Bytes per element.
  package var byteCount: Int {
    switch self {
    case .uint8, .int8: 1
    case .float16, .bfloat16: 2
    case .float32, .int32: 4
    case .float64, .int64: 8
    }
  }
}

/// The one byte writer of the file formats: little-endian integers and floats appended to a
/// byte array (`.npy`, `.fvecs`, `.npz`, checkpoints, protocol buffers).
extension Array where Element == UInt8 {
  /// Appends `value`'s bytes, least significant first.
  package mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
    var remaining = value.littleEndian
    Swift.withUnsafeBytes(of: &remaining) { append(contentsOf: $0) }
  }

  /// Appends the IEEE bits of `value`, little-endian.
  package mutating func appendLittleEndian(_ value: Float) {
    appendLittleEndian(value.bitPattern)
  }

  /// Appends the IEEE bits of `value`, little-endian.
  package mutating func appendLittleEndian(_ value: Double) {
    appendLittleEndian(value.bitPattern)
  }

  /// Appends every value, each converted to `element` (integers clamped).
  package mutating func appendLittleEndian<Scalar: BinaryFloatingPoint>(
    _ values: [Scalar], as element: StoredElement
  ) {
    reserveCapacity(count + values.count * element.byteCount)
    for value in values {
      switch element {
      case .float32: appendLittleEndian(Float(value))
      case .float64: appendLittleEndian(Double(value))
      case .int32: appendLittleEndian(Int32(clamping: Int64(exactly: value.rounded()) ?? 0))
      case .int64: appendLittleEndian(Int64(exactly: value.rounded()) ?? 0)
      case .uint8: append(UInt8(clamping: Int(exactly: value.rounded()) ?? 0))
      case .int8: append(UInt8(bitPattern: Int8(clamping: Int(exactly: value.rounded()) ?? 0)))
      case .float16: appendLittleEndian(HalfPrecision.halfBits(Float(value)))
      case .bfloat16: appendLittleEndian(HalfPrecision.bfloat16Bits(Float(value)))
      }
    }
  }

  /// Appends every integer as `element` (int32 clamped).
  package mutating func appendLittleEndian(integers values: [Int], as element: StoredElement) {
    reserveCapacity(count + values.count * element.byteCount)
    for value in values {
      switch element {
      case .int32: appendLittleEndian(Int32(clamping: value))
      case .int64: appendLittleEndian(Int64(value))
      case .float32: appendLittleEndian(Float(value))
      case .float64: appendLittleEndian(Double(value))
      case .uint8: append(UInt8(clamping: value))
      case .int8: append(UInt8(bitPattern: Int8(clamping: value)))
      case .float16: appendLittleEndian(HalfPrecision.halfBits(Float(value)))
      case .bfloat16: appendLittleEndian(HalfPrecision.bfloat16Bits(Float(value)))
      }
    }
  }
}

extension Sequence<Int> {
  /// The product of the sizes (a shape's element count, times an element size), or nil when it
  /// overflows: the sizes may come from a crafted file.
  package func checkedProduct(startingWith first: Int = 1) -> Int? {
    var product = first
    for size in self {
      let (next, overflow) = product.multipliedReportingOverflow(by: size)
      guard !overflow else { return nil }
      product = next
    }
    return product
  }
}

/// Reading little-endian numbers out of bytes, safely: every read is bounds-checked once.
package enum LittleEndian {
  /// Whether `count` elements of `width` bytes from byte `offset` lie inside `length` bytes,
  /// computed without overflow (the numbers may come from a crafted file).
  package static func fits(offset: Int, count: Int, width: Int, within length: Int) -> Bool {
    guard offset >= 0, count >= 0, width >= 0, offset <= length else { return false }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
    return !overflow && bytes <= length - offset
  }

  /// The integer stored at `offset` of `bytes` (nil when it does not fit).
  package static func read<T: FixedWidthInteger>(
    _: T.Type, from bytes: some DataProtocol & ContiguousBytes, at offset: Int
  ) -> T? {
    let size = MemoryLayout<T>.size
    guard offset >= 0, offset <= bytes.count - size else { return nil }
    return bytes.withUnsafeBytes { raw in
      T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
  }

  /// `count` elements of `element` stored from `offset` of `bytes`, converted to `Scalar`,
  /// written into `output` from index `start`. False (nothing written) when they do not fit.
  @discardableResult
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func decode<Scalar: BinaryFloatingPoint>(
    _ element: StoredElement, count: Int, from bytes: Data, at offset: Int,
    into output: inout [Scalar], startingAt start: Int = 0
  ) -> Bool {
    guard count >= 0, start >= 0, start <= output.count - count else { return false }
    return bytes.withUnsafeBytes { raw in
      guard fits(offset: offset, count: count, width: element.byteCount, within: raw.count),
        let base = raw.baseAddress
      else { return count == 0 }
      output.withUnsafeMutableBufferPointer { target in
        decode(element, count: count, from: base + offset, into: target.baseAddress! + start)
      }
      return true
    }
  }

  /// ``decode(_:count:from:at:into:startingAt:)`` into a new array; nil when the elements do
  /// not fit in `bytes`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func decode<Scalar: BinaryFloatingPoint>(
    _ element: StoredElement, count: Int, from bytes: Data, at offset: Int,
    as _: Scalar.Type = Scalar.self
  ) -> [Scalar]? {
    guard fits(offset: offset, count: count, width: element.byteCount, within: bytes.count) else {
      return nil
    }
    var values = [Scalar](repeating: 0, count: count)
    return decode(element, count: count, from: bytes, at: offset, into: &values) ? values : nil
  }

  /// `count` integers of `element` stored from `offset` of `bytes`; nil when they do not fit.
  package static func integers(
    _ element: StoredElement, count: Int, from bytes: some ContiguousBytes, at offset: Int
  ) -> [Int]? {
    bytes.withUnsafeBytes { raw in
      guard fits(offset: offset, count: count, width: element.byteCount, within: raw.count) else {
        return nil
      }
      guard let base = raw.baseAddress else { return [] }
      return (0..<count).map { index in
        let at = offset + index * element.byteCount
        switch element {
        case .int32: return Int(base.littleEndian(Int32.self, at: at))
        case .int64: return Int(base.littleEndian(Int64.self, at: at))
        case .uint8: return Int(raw[at])
        case .int8: return Int(Int8(bitPattern: raw[at]))
        case .float32: return truncated(Double(base.littleEndianFloat(at: at)))
        case .float64: return truncated(base.littleEndianDouble(at: at))
        case .float16:
          return truncated(
            Double(HalfPrecision.float(fromHalf: base.littleEndian(UInt16.self, at: at))))
        case .bfloat16:
          return truncated(
            Double(HalfPrecision.float(fromBFloat16: base.littleEndian(UInt16.self, at: at))))
        }
      }
    }
  }

  /// A stored float as an integer, toward zero; 0 for NaN, infinities and values past `Int`.
  private static func truncated(_ value: Double) -> Int {
    Int(exactly: value.rounded(.towardZero)) ?? 0
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  static func decode<Scalar: BinaryFloatingPoint>(
    _ element: StoredElement, count: Int, from bytes: UnsafeRawPointer,
    into output: UnsafeMutablePointer<Scalar>
  ) {
    // The compact types in vectors; the loops below are the definition (and the other types).
    if widenInVectors(element, count: count, from: bytes, into: output) { return }
    switch element {
    case .float32:
      for index in 0..<count { output[index] = Scalar(bytes.littleEndianFloat(at: index * 4)) }
    case .float64:
      for index in 0..<count { output[index] = Scalar(bytes.littleEndianDouble(at: index * 8)) }
    case .int32:
      for index in 0..<count {
        output[index] = Scalar(bytes.littleEndian(Int32.self, at: index * 4))
      }
    case .int64:
      for index in 0..<count {
        output[index] = Scalar(bytes.littleEndian(Int64.self, at: index * 8))
      }
    case .uint8:
      for index in 0..<count {
        output[index] = Scalar(bytes.load(fromByteOffset: index, as: UInt8.self))
      }
    case .int8:
      for index in 0..<count {
        output[index] = Scalar(bytes.load(fromByteOffset: index, as: Int8.self))
      }
    case .float16:
      for index in 0..<count {
        output[index] = Scalar(
          HalfPrecision.float(fromHalf: bytes.littleEndian(UInt16.self, at: index * 2)))
      }
    case .bfloat16:
      for index in 0..<count {
        output[index] = Scalar(
          HalfPrecision.float(fromBFloat16: bytes.littleEndian(UInt16.self, at: index * 2)))
      }
    }
  }

  /// The vector ISA the widening code may use (`kmeans_simd_level`), read once.
  static let simdLevel = kmeans_simd_level()

  /// float16, bfloat16, uint8 and int8 widened to `Float` or `Double` by the C kernels
  /// (F16C or AVX-512 where the CPU has them; the same values as the loops here, a NaN made
  /// quiet); false for another element or scalar type.
  static func widenInVectors<Scalar: BinaryFloatingPoint>(
    _ element: StoredElement, count: Int, from bytes: UnsafeRawPointer,
    into output: UnsafeMutablePointer<Scalar>
  ) -> Bool {
    let code: Int32
    switch element {
    case .float16: code = KMEANS_ELEMENT_FLOAT16
    case .bfloat16: code = KMEANS_ELEMENT_BFLOAT16
    case .uint8: code = KMEANS_ELEMENT_UINT8
    case .int8: code = KMEANS_ELEMENT_INT8
    default: return false
    }
    if Scalar.self == Float.self {
      output.withMemoryRebound(to: Float.self, capacity: count) {
        kmeans_widen_f32(simdLevel, code, bytes, count, $0)
      }
      return true
    }
    if Scalar.self == Double.self {
      output.withMemoryRebound(to: Double.self, capacity: count) {
        kmeans_widen_f64(simdLevel, code, bytes, count, $0)
      }
      return true
    }
    return false
  }
}

extension UnsafeRawPointer {
  /// The little-endian integer of type `T` stored at byte `offset` (any alignment).
  @inline(__always)
  func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
    T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }

  /// The little-endian IEEE 754 single stored at byte `offset`.
  @inline(__always)
  func littleEndianFloat(at offset: Int) -> Float {
    Float(bitPattern: littleEndian(UInt32.self, at: offset))
  }

  /// The little-endian IEEE 754 double stored at byte `offset`.
  @inline(__always)
  func littleEndianDouble(at offset: Int) -> Double {
    Double(bitPattern: littleEndian(UInt64.self, at: offset))
  }
}
