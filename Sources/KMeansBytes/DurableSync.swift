#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Flushes the file or directory open as `descriptor` to stable storage; false when it could
/// not.
///
/// On Linux `fsync(2)` does this. On Apple platforms `fsync` only hands the data to the drive,
/// which may keep it in its cache and reorder the writes, so a crash or a power loss can still
/// lose a "saved" file; `fcntl(descriptor, F_FULLFSYNC)` asks the drive to write its cache
/// out (Apple's `fsync(2)` and `fcntl(2)` manual pages). Where a file system refuses
/// `F_FULLFSYNC` (some network and FAT volumes), `fsync` is the fallback.
@discardableResult
package func synchronizeToDisk(_ descriptor: Int32) -> Bool {
  #if canImport(Darwin)
    if fcntl(descriptor, F_FULLFSYNC) == 0 { return true }
  #endif
  return fsync(descriptor) == 0
}
