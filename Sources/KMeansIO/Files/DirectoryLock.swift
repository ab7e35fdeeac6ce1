import Foundation
import KMeans

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An advisory lock on a directory (`flock` on a `.lock` file in it) that one training process
/// holds while it writes there: a second process that asks for it is refused at once with the
/// first one's process id, instead of both writing checkpoints over each other.
///
/// Taking the lock creates the lock file, so it also proves that the directory is writable
/// before any work starts. The lock ends with the process (the kernel drops it, even after a
/// crash or `kill -9`) or when ``release()`` is called or the value is deinitialized.
package final class DirectoryLock {
  /// The lock file's name inside the directory.
  package static let fileName = ".kmeans-train.lock"

  private var descriptor: Int32

  /// Takes the lock on `directory` for `purpose` (e.g. "training"), or throws at once.
  /// - Throws: `KMeansError/fileUnreadable(path:reason:)` when the directory is not writable
  ///   (read-only, no permission, missing), or when another process holds the lock (naming its
  ///   process id).
  package init(directory: String, purpose: String) throws {
    let path = (directory as NSString).appendingPathComponent(Self.fileName)
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      let reason = String(cString: strerror(errno))
      throw KMeansError.fileUnreadable(
        path: directory,
        reason:
          "the model directory is not writable (\(reason)); \(purpose) writes checkpoints there")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let holder = Self.holder(of: descriptor)
      close(descriptor)
      throw KMeansError.fileUnreadable(
        path: directory,
        reason:
          "another process\(holder.map { " (pid \($0))" } ?? "") is \(purpose) in this model directory; wait for it to end, or use another directory"
      )
    }
    self.descriptor = descriptor
    // The holder's pid, for the message a second process prints (best effort).
    let pid = Data("\(getpid())\n".utf8)
    _ = ftruncate(descriptor, 0)
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
    try? handle.seek(toOffset: 0)
    try? handle.write(contentsOf: pid)
  }

  /// The process id written in the lock file by its holder, if readable.
  private static func holder(of descriptor: Int32) -> Int? {
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
    try? handle.seek(toOffset: 0)
    guard let data = try? handle.read(upToCount: 32) else { return nil }
    return Int(
      String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// Gives the lock up (the lock file stays; it is empty of meaning without the lock).
  package func release() {
    guard descriptor >= 0 else { return }
    flock(descriptor, LOCK_UN)
    close(descriptor)
    descriptor = -1
  }

  deinit { release() }
}
