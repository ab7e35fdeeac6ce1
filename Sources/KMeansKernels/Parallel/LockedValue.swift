import Foundation

/// A value shared between threads behind a lock.
///
/// The lock is Foundation's `NSLock` (a pthread mutex), on every platform the package supports:
/// `Synchronization`'s `Mutex` and `Atomic` need macOS 15 / iOS 18 where the package supports
/// macOS 13.3 / iOS 16.4, and ThreadSanitizer understands a pthread mutex (it does not see the
/// futex under `Mutex` on Linux, and reports its accesses as races).
// Safety: `value` is read and written only while `lock` is held.
package final class LockedValue<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  /// A lock holding `value`.
  package init(_ value: Value) {
    self.value = value
  }

  /// Runs `body` on the value while no other thread can.
  package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
