import CKMeansABI
import KMeans

/// Runs `body`, turning every thrown error into `SKM_ERROR` with its message in `buffer`.
func guarded(
  _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64, _ body: () throws -> Int32
) -> Int32 {
  do {
    return try body()
  } catch {
    write(message: "\(error)", to: buffer, capacity: capacity)
    return Int32(SKM_ERROR.rawValue)
  }
}

/// ``guarded(_:_:_:)`` for a call on rows: `data` and `config` are read and checked first.
func guarded(
  _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64, data: UnsafePointer<skm_data>?,
  config: UnsafePointer<skm_config>?,
  _ body: (DataRequest, KMeansConfiguration) throws -> Int32
) -> Int32 {
  guarded(buffer, capacity) {
    let request = try DataRequest(data)
    return try body(request, try configuration(config, columns: request.columnCount))
  }
}

/// Copies `message` (truncated, NUL-terminated) into a caller's buffer of `capacity` bytes.
func write(message: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int64) {
  guard let buffer, capacity > 0 else { return }
  let bytes = Array(message.utf8.prefix(Int(min(capacity - 1, Int64(Int32.max)))))
  for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
  buffer[bytes.count] = 0
}

/// Copies `values` to a caller's buffer of `Scalar`s.
func copy<Scalar: KMeansScalar>(_ values: [Scalar], to pointer: UnsafeMutableRawPointer?) {
  guard let pointer else { return }
  let target = pointer.assumingMemoryBound(to: Scalar.self)
  for (index, value) in values.enumerated() { target[index] = value }
}

/// Copies labels to a caller's `int64_t` buffer.
func copy(labels: [Int], to pointer: UnsafeMutablePointer<Int64>?) {
  guard let pointer else { return }
  for (index, label) in labels.enumerated() { pointer[index] = Int64(label) }
}

/// The numeric code of a stop reason.
func code(_ reason: StopReason) -> Int32 {
  switch reason {
  case .labelsUnchanged: return Int32(SKM_STOP_LABELS_UNCHANGED)
  case .centerShiftTolerance: return Int32(SKM_STOP_CENTER_SHIFT_TOLERANCE)
  case .relativeLossTolerance: return Int32(SKM_STOP_RELATIVE_LOSS_TOLERANCE)
  case .maxIterations: return Int32(SKM_STOP_MAX_ITERATIONS)
  case .noImprovement: return Int32(SKM_STOP_NO_IMPROVEMENT)
  case .cancelled: return Int32(SKM_STOP_CANCELLED)
  }
}

/// Progress and cancellation from an `skm_observer`.
struct Observer {
  let raw: skm_observer?

  init(_ pointer: UnsafePointer<skm_observer>?) { raw = pointer?.pointee }

  /// Whether the caller raised the cancellation flag.
  var isCancelled: Bool { raw?.cancel.map { $0.pointee != 0 } ?? false }

  func report(iteration: Int, loss: Double, shift: Double, changed: Int, rows: Int) {
    guard let raw, let progress = raw.progress else { return }
    progress(raw.context, Int64(iteration), loss, shift, Int64(changed), Int64(rows))
  }
}
