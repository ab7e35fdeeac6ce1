/// IEEE 754 half precision (binary16) and bfloat16, as 16-bit patterns, to and from `Float`,
/// without the `Float16` type (missing on macOS on Intel). Every half and every bfloat16 is
/// exactly a `Float`; narrowing rounds to nearest, ties to even, as NumPy and ml_dtypes do.
package enum HalfPrecision {
  /// The `Float` of a binary16 pattern (1 sign, 5 exponent, 10 fraction bits): exact,
  /// subnormals, infinities and NaN (payload kept) included.
  @inline(__always)
  package static func float(fromHalf bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let fraction = UInt32(bits & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13) }
    if exponent == 0 {
      // Zero or subnormal: fraction × 2⁻²⁴, exact in Float.
      let magnitude = Float(fraction) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | (exponent + 112) << 23 | fraction << 13)
  }

  /// The binary16 pattern nearest `value` (ties to even); past the largest half (65,504)
  /// infinity, below the smallest subnormal zero, NaN a quiet NaN.
  package static func halfBits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
    let exponent = Int(bits >> 23) & 0xFF
    var fraction = bits & 0x7F_FFFF
    if exponent == 0xFF {
      return sign | 0x7C00
        | (fraction == 0 ? 0 : 0x200 | UInt16(truncatingIfNeeded: fraction >> 13))
    }
    let halfExponent = exponent - 112
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    if halfExponent <= 0 {
      // A half subnormal: the significand (hidden bit included) shifted right, rounded.
      if halfExponent < -10 { return sign }
      fraction |= 0x80_0000
      let shift = UInt32(14 - halfExponent)
      return sign | UInt16(truncatingIfNeeded: roundedShift(fraction, by: shift))
    }
    // Rounding may carry into the exponent: the next binade, or infinity past 65,504.
    let rounded = UInt32(halfExponent) << 10 + roundedShift(fraction, by: 13)
    return sign | UInt16(truncatingIfNeeded: rounded)
  }

  /// The `Float` of a bfloat16 pattern (the upper half of a `Float`'s bits): exact.
  @inline(__always)
  package static func float(fromBFloat16 bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }

  /// The bfloat16 pattern nearest `value` (ties to even); NaN stays a quiet NaN.
  package static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
    let rounding = 0x7FFF + ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
  }

  /// `value >> shift`, rounded to nearest, ties to even.
  @inline(__always)
  static func roundedShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
    let kept = value >> shift
    let remainder = value & ((1 << shift) - 1)
    let half: UInt32 = 1 << (shift - 1)
    return remainder > half || (remainder == half && kept & 1 == 1) ? kept + 1 : kept
  }
}
