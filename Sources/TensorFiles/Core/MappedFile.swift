import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file mapped read-only into memory, so that only the pages that are touched are ever read.
///
/// The mapping lives as long as the value; ``bytes`` must not be used after that.
final class MappedFile: @unchecked Sendable {
  /// The path, as given, for messages.
  let path: String
  /// The file's contents.
  let bytes: UnsafeRawBufferPointer

  /// Maps the file at `url`.
  ///
  /// - Throws: ``TensorFileError/io(_:_:)`` when the file cannot be opened, is not a regular file, or
  ///   cannot be mapped.
  init(url: URL) throws {
    path = url.path
    let descriptor = open(url.path, O_RDONLY)
    guard descriptor >= 0 else {
      throw TensorFileError.io(url.path, "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw TensorFileError.io(url.path, "cannot read its size: \(String(cString: strerror(errno)))")
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      throw TensorFileError.io(url.path, "not a regular file")
    }
    let size = Int(status.st_size)
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
      throw TensorFileError.io(url.path, "cannot map into memory: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
  }

  /// Reads a little-endian unsigned integer at `offset`; the caller has checked that it fits.
  func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
  }

  /// A copy of `count` bytes at `offset`; the caller has checked that they lie in the file.
  func copy(offset: Int, count: Int) -> [UInt8] {
    Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
  }
}
