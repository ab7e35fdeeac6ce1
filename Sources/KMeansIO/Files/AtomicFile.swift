import Foundation
import KMeans
import KMeansBytes

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes files so that a reader sees either the old contents or the new, never a mix: the
/// bytes go to a temporary file beside the target, which is flushed to disk (`fsync`;
/// `F_FULLFSYNC` on Apple platforms) and then renamed over the target; the directory is synced
/// last so the rename itself survives a crash.
public enum AtomicFile {
  /// Replaces the file at `path` with `data`, atomically.
  /// - Throws: `KMeansError/fileUnreadable(path:reason:)` when any step fails; the old file
  ///   is then untouched.
  public static func write(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/.\(url.lastPathComponent).tmp-\(getpid())"
    func failure(_ what: String) -> KMeansError {
      .fileUnreadable(
        path: path, reason: "cannot write (\(what): \(String(cString: strerror(errno))))")
    }
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw failure("create a temporary file") }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
    let ok = (try? handle.write(contentsOf: data)) != nil
    guard ok, synchronizeToDisk(descriptor) else {
      let error = failure("write")
      close(descriptor)
      unlink(temporary)
      throw error
    }
    close(descriptor)
    guard rename(temporary, path) == 0 else {
      let error = failure("rename")
      unlink(temporary)
      throw error
    }
    let directoryDescriptor = open(directory, O_RDONLY)
    if directoryDescriptor >= 0 {
      synchronizeToDisk(directoryDescriptor)
      close(directoryDescriptor)
    }
  }

  /// Reads a whole file.
  /// - Throws: `KMeansError/fileUnreadable(path:reason:)` naming the file.
  public static func read(_ path: String) throws -> Data {
    guard FileManager.default.fileExists(atPath: path) else {
      throw KMeansError.fileUnreadable(path: path, reason: "no such file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot read the file")
    }
    return data
  }
}
