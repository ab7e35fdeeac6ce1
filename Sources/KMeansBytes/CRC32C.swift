/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, as iSCSI and LevelDB), and the
/// masking LevelDB and TensorFlow apply to every CRC they store.
public enum CRC32C {
  private static let table: [UInt32] = (0..<256).map { byte in
    var crc = UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    return crc
  }

  /// The CRC of `bytes`, continuing from `crc` (0 for a fresh checksum).
  public static func checksum<Bytes: Sequence>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32
  where Bytes.Element == UInt8 {
    var value = ~crc
    for byte in bytes {
      value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
    }
    return ~value
  }

  private static let maskDelta: UInt32 = 0xA282_EAD8

  /// LevelDB's mask: rotate right by 15 and add a constant, so that CRCs of data that
  /// contains CRCs do not degenerate.
  public static func mask(_ crc: UInt32) -> UInt32 {
    ((crc >> 15) | (crc << 17)) &+ maskDelta
  }

  /// The inverse of ``mask(_:)``.
  public static func unmask(_ masked: UInt32) -> UInt32 {
    let rotated = masked &- maskDelta
    return (rotated >> 17) | (rotated << 15)
  }
}
