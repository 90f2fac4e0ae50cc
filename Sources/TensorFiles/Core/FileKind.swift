import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a path names, as `stat` or `lstat` report it, in words for messages.
enum FileKind {
  /// `nil` for a regular file; otherwise "a directory", "a FIFO (named pipe)", "a symbolic link", ….
  ///
  /// - Parameter mode: The `st_mode` of a `stat` or `lstat` result.
  static func nonRegularDescription(_ mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFSOCK: return "a socket"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFLNK: return "a symbolic link"
    default: return "a file of an unknown type"
    }
  }
}
