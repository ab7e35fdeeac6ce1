import Foundation
import KMeans
import KMeansIO

/// The `checkpoint` file of a model directory (TensorFlow's `CheckpointState` in protobuf text
/// format): the latest checkpoint prefix and all those kept, oldest first, relative to the
/// directory.
public struct CheckpointState: Sendable, Equatable {
  /// The latest checkpoint, e.g. `model.ckpt-5`.
  public var latest: String
  /// Every kept checkpoint, oldest first (the latest last).
  public var all: [String]

  /// A state naming `latest` and `all`.
  public init(latest: String, all: [String]) {
    self.latest = latest
    self.all = all
  }

  /// The file's text: two string fields, as the Estimator writes them.
  public var text: String {
    func quoted(_ value: String) -> String {
      "\""
        + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
          of: "\"", with: "\\\"") + "\""
    }
    var text = "model_checkpoint_path: \(quoted(latest))\n"
    for path in all { text += "all_model_checkpoint_paths: \(quoted(path))\n" }
    return text
  }

  /// Reads `<directory>/checkpoint`; nil when there is none.
  public static func read(directory: String) throws -> CheckpointState? {
    let path = (directory as NSString).appendingPathComponent("checkpoint")
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let text = String(decoding: try AtomicFile.read(path), as: UTF8.self)
    var latest: String? = nil
    var all: [String] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      guard let colon = trimmed.firstIndex(of: ":") else { continue }
      let key = trimmed[..<colon]
      let rest = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      guard key == "model_checkpoint_path" || key == "all_model_checkpoint_paths" else { continue }
      guard let value = unquote(rest) else {
        throw KMeansError.parse(
          path: path, line: number + 1, column: nil,
          message: "expected a quoted string after \(key):")
      }
      if key == "model_checkpoint_path" { latest = value } else { all.append(value) }
    }
    guard let latest, !latest.isEmpty else {
      throw KMeansError.corruptFile(path: path, reason: "no model_checkpoint_path")
    }
    return CheckpointState(latest: latest, all: all.isEmpty ? [latest] : all)
  }

  /// Writes `<directory>/checkpoint` atomically.
  public func write(directory: String) throws {
    try AtomicFile.write(
      Data(text.utf8), to: (directory as NSString).appendingPathComponent("checkpoint"))
  }

  /// Python text-format string unescaping: `\" \\ \' \n \t`, octal `\NNN` and `\xNN`.
  static func unquote(_ text: String) -> String? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"")
    else {
      return nil
    }
    var output: [UInt8] = []
    var index = 1
    while index < bytes.count - 1 {
      let byte = bytes[index]
      guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count - 1 else {
        output.append(byte)
        index += 1
        continue
      }
      let next = bytes[index + 1]
      switch next {
      case UInt8(ascii: "n"):
        output.append(10)
        index += 2
      case UInt8(ascii: "t"):
        output.append(9)
        index += 2
      case UInt8(ascii: "x"):
        let digits = bytes[(index + 2)..<min(index + 4, bytes.count - 1)]
        output.append(UInt8(String(decoding: digits, as: UTF8.self), radix: 16) ?? 0)
        index += 2 + digits.count
      case UInt8(ascii: "0")...UInt8(ascii: "7"):
        var end = index + 1
        while end < min(index + 4, bytes.count - 1),
          (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[end])
        {
          end += 1
        }
        output.append(
          UInt8(String(decoding: bytes[(index + 1)..<end], as: UTF8.self), radix: 8) ?? 0)
        index = end
      default:
        output.append(next)
        index += 2
      }
    }
    return String(decoding: output, as: UTF8.self)
  }
}
