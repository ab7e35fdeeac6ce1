#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Large row buffers backed by 2 MiB pages where the system offers them.
package enum LargePages {
  /// The smallest buffer worth advising: below it the 4 KiB pages' faults cost little.
  package static let minimumBytes = 8 << 20

  /// Asks Linux to back the 2 MiB-aligned part of `buffer` with transparent huge pages, before
  /// its first write: one fault per 2 MiB instead of one per 4 KiB, and fewer TLB misses in
  /// every later pass over the rows. Nothing happens below ``minimumBytes``, on other systems,
  /// or where huge pages are off (`/sys/kernel/mm/transparent_hugepage/enabled` set to
  /// `never`); the advice never changes the contents.
  package static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
      guard buffer.count >= minimumBytes, let base = buffer.baseAddress else { return }
      let huge = 2 << 20
      let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
      let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
      guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
      _ = madvise(aligned, end - start, MADV_HUGEPAGE)
    #endif
  }
}
