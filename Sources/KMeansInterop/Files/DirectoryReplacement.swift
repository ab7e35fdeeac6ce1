import Foundation
import KMeans
import KMeansBytes

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a whole directory so that a reader sees the old one or the new one, never half: the
/// contents go to a staging directory beside the target, which is then renamed into place.
enum DirectoryReplacement {
  /// Fills a staging directory with `fill` and renames it to `path`.
  /// - Parameter overwrite: replace an existing directory that is not empty (it is moved
  ///   aside first and removed once the new one is in place); otherwise such a directory is
  ///   refused before anything is written.
  static func write(_ path: String, overwrite: Bool, fill: (String) throws -> Void) throws {
    let manager = FileManager.default
    let target = URL(fileURLWithPath: path).standardizedFileURL
    let parent = target.deletingLastPathComponent().path
    let name = target.lastPathComponent
    var isDirectory: ObjCBool = false
    let exists = manager.fileExists(atPath: target.path, isDirectory: &isDirectory)
    if exists {
      guard isDirectory.boolValue else {
        throw KMeansError.fileUnreadable(path: path, reason: "exists and is not a directory")
      }
      let contents = (try? manager.contentsOfDirectory(atPath: target.path)) ?? []
      if !contents.isEmpty && !overwrite {
        throw KMeansError.fileUnreadable(
          path: path,
          reason: "the export directory exists and is not empty (choose another, or overwrite it)")
      }
    }
    do {
      try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw KMeansError.fileUnreadable(path: parent, reason: "cannot create the directory")
    }
    let staging = parent + "/.\(name).staging-\(getpid())"
    try? manager.removeItem(atPath: staging)
    do {
      try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
      try fill(staging)
    } catch {
      try? manager.removeItem(atPath: staging)
      if let error = error as? KMeansError { throw error }
      throw KMeansError.fileUnreadable(path: path, reason: "cannot write (\(error))")
    }
    let aside = parent + "/.\(name).replaced-\(getpid())"
    if exists { guard rename(target.path, aside) == 0 else { throw failure(path, staging) } }
    guard rename(staging, target.path) == 0 else {
      if exists { _ = rename(aside, target.path) }
      throw failure(path, staging)
    }
    if exists { try? manager.removeItem(atPath: aside) }
    let descriptor = open(parent, O_RDONLY)
    if descriptor >= 0 {
      synchronizeToDisk(descriptor)
      close(descriptor)
    }
  }

  private static func failure(_ path: String, _ staging: String) -> KMeansError {
    let reason = String(cString: strerror(errno))
    try? FileManager.default.removeItem(atPath: staging)
    return .fileUnreadable(path: path, reason: "cannot move the export into place (\(reason))")
  }
}
