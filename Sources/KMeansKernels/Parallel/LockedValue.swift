#if canImport(Darwin)
  import os
#else
  import Synchronization
#endif

/// A value shared between threads behind a lock.
///
/// On Linux the lock is `Synchronization`'s `Mutex`. On Apple platforms it is
/// `OSAllocatedUnfairLock` (macOS 13, iOS 16 and later): `Mutex` and `Atomic` need macOS 15 /
/// iOS 18, and the package supports macOS 13 / iOS 16.
package final class LockedValue<Value: Sendable>: Sendable {
  #if canImport(Darwin)
    private let lock: OSAllocatedUnfairLock<Value>
  #else
    private let lock: Mutex<Value>
  #endif

  /// A lock holding `value`.
  package init(_ value: Value) {
    #if canImport(Darwin)
      lock = OSAllocatedUnfairLock(initialState: value)
    #else
      lock = Mutex(value)
    #endif
  }

  /// Runs `body` on the value while no other thread can.
  package func withLock<Result: Sendable>(
    _ body: @Sendable (inout Value) -> Result
  ) -> Result {
    lock.withLock { body(&$0) }
  }
}
