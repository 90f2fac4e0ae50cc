import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension TensorFileError {
  /// A plain description of a system error number for a message that names the path it concerns.
  ///
  /// The errors a full, read-only or protected disk gives are spelled out (`ENOSPC`: "no space left on the
  /// device (the disk is full)", `EROFS`: "read-only file system", `EACCES`/`EPERM`: "permission denied",
  /// `EDQUOT`, `EFBIG`, `ENOTDIR`, `ENOENT`, `ELOOP`, `ENAMETOOLONG`, `EIO`); any other number is described
  /// by the C library's `strerror`.
  /// - Parameter code: An `errno` value.
  public static func reason(errno code: Int32) -> String {
    switch code {
    case ENOSPC: return "no space left on the device (the disk is full)"
    case EDQUOT: return "the disk quota is exhausted"
    case EROFS: return "read-only file system"
    case EACCES, EPERM: return "permission denied"
    case EFBIG: return "the file is too large for the file system or the process's file-size limit"
    case ENOTDIR: return "a component of the path is not a folder"
    case ENOENT: return "no such file or folder"
    case ELOOP: return "a loop of symbolic links"
    case ENAMETOOLONG: return "the name is too long"
    case EIO: return "an input/output error on the device"
    default: return String(cString: strerror(code))
    }
  }
}
