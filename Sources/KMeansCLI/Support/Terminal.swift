import Dispatch
import Foundation
import KMeansKernels

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whether standard error is a terminal: progress bars only draw there.
let standardErrorIsTerminal = isatty(2) == 1

/// A one-line progress bar on standard error, redrawn in place, with rate and time left.
/// It draws nothing when standard error is not a terminal (logs and pipes stay clean).
final class ProgressBar {
  private let total: Int
  private let unit: String
  private let started = Date()
  private var lastDraw = Date.distantPast

  init(total: Int, unit: String) {
    self.total = max(1, total)
    self.unit = unit
  }

  /// Redraws with `done` of `total` finished and a detail such as the current loss.
  func update(done: Int, detail: String = "") {
    guard standardErrorIsTerminal else { return }
    let now = Date()
    guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
    lastDraw = now
    let elapsed = now.timeIntervalSince(started)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let remaining = rate > 0 ? Double(total - done) / rate : 0
    let width = 28
    let filled = min(width, done * width / total)
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    let line = String(
      format: "\r%@ %d/%d %@  %.1f %@/s  ETA %@  %@\u{1B}[K", bar, done, total, unit, rate, unit,
      Self.clock(remaining), detail)
    FileHandle.standardError.write(Data(line.utf8))
  }

  /// Clears the line.
  func finish() {
    guard standardErrorIsTerminal else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }

  static func clock(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    return String(format: "%02d:%02d", whole / 60, whole % 60)
  }
}

/// Ctrl-C as a request to stop: the first SIGINT sets a flag the training loops check (they
/// finish the current iteration and keep the best model so far); a second one ends the process.
enum Interrupt {
  private static let requested = LockedValue(false)
  // Safety: written once, by install() at start-up before any SIGINT is handled; only kept.
  nonisolated(unsafe) private static var source: DispatchSourceSignal?

  /// Starts listening for SIGINT.
  static func install() {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler {
      let already = requested.withLock { raised in
        defer { raised = true }
        return raised
      }
      if already {
        FileHandle.standardError.write(Data("\ninterrupted again: stopping now\n".utf8))
        exit(130)
      }
      FileHandle.standardError.write(
        Data(
          "\ninterrupted: finishing the current step and keeping the best model so far (Ctrl-C again to quit)\n"
            .utf8))
    }
    source.resume()
    Self.source = source
  }

  /// Whether Ctrl-C was pressed.
  static var isRequested: Bool { requested.withLock { $0 } }
}
