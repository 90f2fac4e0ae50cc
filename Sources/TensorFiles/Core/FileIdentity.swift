import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The device and inode of a file: two paths name the same file exactly when their identities are equal,
/// whatever their spelling, symbolic links or hard links.
public struct FileIdentity: Hashable, Sendable {
  /// The device that holds the file (`st_dev`).
  public let device: UInt64
  /// The file's number on that device (`st_ino`).
  public let inode: UInt64

  /// The identity of the file `url` leads to, following symbolic links, or `nil` when nothing is there
  /// (or the path cannot be examined).
  public init?(of url: URL) {
    var status = stat()
    guard stat(url.path, &status) == 0 else { return nil }
    self.init(status)
  }

  /// The identity in a `stat` or `lstat` result.
  init(_ status: stat) {
    device = UInt64(truncatingIfNeeded: status.st_dev)
    inode = UInt64(truncatingIfNeeded: status.st_ino)
  }
}
