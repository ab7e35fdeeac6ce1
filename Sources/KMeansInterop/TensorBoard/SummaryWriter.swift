import Foundation
import KMeans
import KMeansBytes

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes TensorBoard event files: what `tf.summary` writes and `tensorboard --logdir` reads.
///
/// Each writer owns one new file `events.out.tfevents.<seconds>.<host>.<pid>.<n>` in its
/// directory (TensorBoard reads every events file of a directory, in name order, as one run).
/// The file is a sequence of TFRecords — a little-endian `UInt64` length, its masked CRC-32C,
/// the bytes, their masked CRC-32C — each holding one `tensorflow.Event`: first the file
/// version `brain.Event:2` (and the writer, `swift-kmeans`), then one event per ``add(scalars:step:wallTime:)`` with a scalar
/// summary (`simple_value`) per tag. Every record is written through to the file at once, so
/// a crash loses at most the record being written, which readers skip.
///
/// ```swift
/// let writer = try SummaryWriter(directory: "runs/digits")
/// try writer.add(scalars: ["loss": 1234.5], step: 10)
/// try writer.close()
/// ```
public final class SummaryWriter {
  /// The events file this writer appends to.
  public let path: String
  private var handle: FileHandle?

  /// Creates the directory if needed and starts a new events file in it.
  /// - Throws: `KMeansError/fileUnreadable(path:reason:)` when the directory or the
  ///   file cannot be created.
  public init(directory: String) throws {
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw KMeansError.fileUnreadable(path: directory, reason: "cannot create the directory")
    }
    let seconds = Int(Date().timeIntervalSince1970)
    let host = Self.hostName()
    var candidate: String
    var counter = 0
    repeat {
      candidate = directory + "/events.out.tfevents.\(seconds).\(host).\(getpid()).\(counter)"
      counter += 1
    } while FileManager.default.fileExists(atPath: candidate)
    path = candidate
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0o644)
    guard descriptor >= 0 else {
      throw KMeansError.fileUnreadable(
        path: path, reason: "cannot create (\(String(cString: strerror(errno))))")
    }
    handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    var event = Tensorflow_Event()
    event.wallTime = Date().timeIntervalSince1970
    event.fileVersion = "brain.Event:2"
    event.sourceMetadata.writer = "swift-kmeans"
    try write(event)
  }

  deinit { try? handle?.close() }

  /// The machine's name for the file name (as TensorFlow's writer), from `gethostname`: no
  /// name lookup, which can stall without a network.
  private static func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    // Safety: gethostname writes at most buffer.count − 1 bytes into `buffer`.
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    let name = String(
      decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let safe = name.filter { $0 != "/" && !$0.isWhitespace }
    return safe.isEmpty ? "localhost" : safe
  }

  /// One event at `step` holding a scalar summary per tag (TensorBoard's scalars dashboard
  /// draws one curve per tag; tags sort, and a `/` groups them into sections).
  /// - Parameters:
  ///   - scalars: one value per tag.
  ///   - step: the x axis of TensorBoard's curves (the global step).
  ///   - wallTime: seconds since 1970 (default: now).
  /// - Throws: `KMeansError` for a non-finite value (TensorBoard would draw a hole)
  ///   named with its tag, or a failed write.
  public func add(scalars: [String: Double], step: Int64, wallTime: Double? = nil) throws {
    var summary = Tensorflow_Summary()
    for (tag, value) in scalars.sorted(by: { $0.key < $1.key }) {
      guard value.isFinite else {
        throw KMeansError.invalidConfiguration(
          "the summary '\(tag)' at step \(step) is \(value); TensorBoard draws finite values only")
      }
      var entry = Tensorflow_Summary.Value()
      entry.tag = tag
      entry.simpleValue = Float(value)
      summary.value.append(entry)
    }
    var event = Tensorflow_Event()
    event.wallTime = wallTime ?? Date().timeIntervalSince1970
    event.step = step
    event.summary = summary
    try write(event)
  }

  /// A histogram summary of `values` (TensorBoard's histograms and distributions dashboards),
  /// with `bucketCount` equal-width buckets between the smallest and largest value.
  /// - Throws: `KMeansError` for a non-finite value, or a failed write.
  public func add(histogram values: [Double], tag: String, step: Int64, bucketCount: Int = 30)
    throws
  {
    guard values.allSatisfy(\.isFinite) else {
      throw KMeansError.invalidConfiguration(
        "the histogram '\(tag)' at step \(step) holds a value that is not finite")
    }
    var histogram = Tensorflow_HistogramProto()
    let low = values.min() ?? 0
    let high = values.max() ?? 0
    histogram.min = low
    histogram.max = high
    histogram.num = Double(values.count)
    histogram.sum = values.reduce(0, +)
    histogram.sumSquares = values.reduce(0) { $0 + $1 * $1 }
    let buckets = max(1, bucketCount)
    let width = high > low ? (high - low) / Double(buckets) : 1
    var counts = [Double](repeating: 0, count: buckets)
    for value in values {
      counts[min(buckets - 1, Int((value - low) / width))] += 1
    }
    histogram.bucketLimit = (1...buckets).map { low + width * Double($0) }
    histogram.bucketLimit[buckets - 1] = max(histogram.bucketLimit[buckets - 1], high)
    histogram.bucket = counts
    var entry = Tensorflow_Summary.Value()
    entry.tag = tag
    entry.histo = histogram
    var event = Tensorflow_Event()
    event.wallTime = Date().timeIntervalSince1970
    event.step = step
    event.summary.value = [entry]
    try write(event)
  }

  /// Marks a (re)start at `step`: TensorBoard drops the events of earlier files at this step
  /// or later (`SessionLog.START`), so a run resumed from an earlier checkpoint keeps one
  /// step axis without the abandoned tail.
  public func start(at step: Int64) throws {
    var event = Tensorflow_Event()
    event.wallTime = Date().timeIntervalSince1970
    event.step = step
    event.sessionLog.status = .start
    try write(event)
  }

  /// Flushes the file to disk and closes it; later calls throw.
  public func close() throws {
    guard let handle else { return }
    self.handle = nil
    do {
      try handle.synchronize()
      try handle.close()
    } catch {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot close (\(error))")
    }
  }

  private func write(_ event: Tensorflow_Event) throws {
    guard let handle else {
      throw KMeansError.fileUnreadable(path: path, reason: "the summary writer is closed")
    }
    let data: Data
    do {
      data = try event.serializedData()
    } catch {
      throw KMeansError.invalidConfiguration("cannot encode a summary event: \(error)")
    }
    do {
      try handle.write(contentsOf: TFRecord.frame(data))
    } catch {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot write (\(error))")
    }
  }
}

/// TFRecord framing: `length: UInt64`, `masked CRC-32C of length: UInt32`, the bytes,
/// `masked CRC-32C of the bytes: UInt32`, all little-endian.
enum TFRecord {
  static func frame(_ data: Data) -> Data {
    var length: [UInt8] = []
    length.appendLittleEndian(UInt64(data.count))
    var record = Data(length)
    var lengthCheck: [UInt8] = []
    lengthCheck.appendLittleEndian(CRC32C.mask(CRC32C.checksum(length)))
    record.append(contentsOf: lengthCheck)
    record.append(data)
    var dataCheck: [UInt8] = []
    dataCheck.appendLittleEndian(CRC32C.mask(CRC32C.checksum(data)))
    record.append(contentsOf: dataCheck)
    return record
  }

  /// The records of a file, in order; a torn last record (a crash while writing) ends the
  /// list, as TensorFlow's reader ends it.
  /// - Throws: `KMeansError/corruptFile(path:reason:)` for a checksum mismatch.
  static func records(_ bytes: [UInt8], path: String) throws -> [[UInt8]] {
    var records: [[UInt8]] = []
    var position = 0
    while let length = LittleEndian.read(UInt64.self, from: bytes, at: position),
      let stored = LittleEndian.read(UInt32.self, from: bytes, at: position + 8)
    {
      guard CRC32C.mask(CRC32C.checksum(bytes[position..<position + 8])) == stored else {
        throw KMeansError.corruptFile(
          path: path, reason: "record at byte \(position): length checksum mismatch")
      }
      // A record cut short (a crash while it was written) ends the file.
      let start = position + 12
      guard length <= UInt64(bytes.count - start),
        let check = LittleEndian.read(UInt32.self, from: bytes, at: start + Int(length))
      else { break }
      let payload = Array(bytes[start..<(start + Int(length))])
      guard CRC32C.mask(CRC32C.checksum(payload)) == check else {
        throw KMeansError.corruptFile(
          path: path, reason: "record at byte \(position): data checksum mismatch")
      }
      records.append(payload)
      position = start + Int(length) + 4
    }
    return records
  }
}
