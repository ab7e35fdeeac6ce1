import CZlib
import Foundation

/// zlib, as the ZIP members of SciPy `.npz` files need it, behind safe calls.
package enum Compression {
  /// `input` inflated from raw deflate (no zlib header, as ZIP stores it) into exactly
  /// `expectedSize` bytes; nil (with zlib's status) when it does not inflate to that size.
  package static func inflateRaw(_ input: Data, expectedSize: Int) -> (data: Data?, status: Int32) {
    var output = Data(count: expectedSize)
    var stream = z_stream()
    let status: Int32 = input.withUnsafeBytes { inputBuffer in
      output.withUnsafeMutableBytes { outputBuffer in
        stream.next_in = UnsafeMutablePointer(
          mutating: inputBuffer.bindMemory(to: Bytef.self).baseAddress)
        stream.avail_in = uInt(inputBuffer.count)
        stream.next_out = outputBuffer.bindMemory(to: Bytef.self).baseAddress
        stream.avail_out = uInt(outputBuffer.count)
        guard
          inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            == Z_OK
        else { return Z_MEM_ERROR }
        defer { inflateEnd(&stream) }
        return CZlib.inflate(&stream, Z_FINISH)
      }
    }
    guard status == Z_STREAM_END, Int(stream.total_out) == expectedSize else {
      return (nil, status)
    }
    return (output, status)
  }

  /// The CRC-32 of `data` (ZIP's checksum).
  package static func crc32(_ data: Data) -> UInt32 {
    data.withUnsafeBytes {
      UInt32(CZlib.crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count)))
    }
  }
}

extension Data {
  /// Appends `value`'s bytes, least significant first.
  package mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
    var bytes: [UInt8] = []
    bytes.appendLittleEndian(value)
    append(contentsOf: bytes)
  }
}
