import Foundation
import KMeans
import KMeansBytes

/// Writes a 1-dimensional int32 `.npy` file a batch at a time, for labels of data larger than
/// memory. The file appears atomically when ``finish()`` succeeds: it is written to a
/// temporary file whose header is completed with the final row count, synced, then renamed.
public final class NumPyLabelWriter {
  private let path: String
  private let temporary: String
  private let handle: FileHandle
  private var count = 0
  private var finished = false
  /// Header length: room for any row count, padded to 128 bytes as NumPy aligns data.
  private static var headerLength: Int { 128 }

  /// Starts writing to a temporary file beside `path`.
  public init(path: String) throws {
    self.path = path
    let url = URL(fileURLWithPath: path)
    temporary =
      url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
      .path
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporary)
    else {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot create \(temporary)")
    }
    self.handle = handle
    try handle.write(contentsOf: Self.header(count: 0))
  }

  deinit {
    if !finished {
      try? handle.close()
      try? FileManager.default.removeItem(atPath: temporary)
    }
  }

  private static func header(count: Int) -> Data {
    var text = "{'descr': '<i4', 'fortran_order': False, 'shape': (\(count),), }"
    text += String(repeating: " ", count: headerLength - 10 - text.utf8.count - 1) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(text.utf8.count)
    data.append(UInt8(length & 0xFF))
    data.append(UInt8(length >> 8))
    data.append(contentsOf: Array(text.utf8))
    return data
  }

  /// Appends labels.
  public func append(_ labels: [Int]) throws {
    var bytes: [UInt8] = []
    bytes.appendLittleEndian(integers: labels, as: .int32)
    try handle.write(contentsOf: Data(bytes))
    count += labels.count
  }

  /// Completes the header, syncs and renames the file into place.
  public func finish() throws {
    try handle.seek(toOffset: 0)
    try handle.write(contentsOf: Self.header(count: count))
    try handle.synchronize()
    try handle.close()
    finished = true
    guard rename(temporary, path) == 0 else {
      try? FileManager.default.removeItem(atPath: temporary)
      throw KMeansError.fileUnreadable(path: path, reason: "cannot rename \(temporary) into place")
    }
  }
}
