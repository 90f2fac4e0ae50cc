/// The bytes of a tensor file as the readers see them: an open file read on demand, or bytes already in
/// memory (for parsing a file that never touched a disk, as a fuzzer does).
enum TensorFileBytes: Sendable {
  case file(ReadOnlyFile)
  case memory([UInt8], name: String)

  /// The file's path, or the name given to the bytes, for messages.
  var path: String {
    switch self {
    case .file(let file): return file.path
    case .memory(_, let name): return name
    }
  }

  /// The number of bytes.
  var count: Int {
    switch self {
    case .file(let file): return file.size
    case .memory(let bytes, _): return bytes.count
    }
  }

  /// Fills `buffer` with the bytes at `offset`; the caller has checked that they lie within ``count``.
  ///
  /// - Throws: What ``ReadOnlyFile/read(into:at:)`` throws.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
    switch self {
    case .file(let file):
      try file.read(into: buffer, at: offset)
    case .memory(let bytes, _):
      precondition(offset >= 0 && buffer.count <= bytes.count - offset, "TensorFileBytes.read: range beyond the bytes")
      bytes.withUnsafeBytes { source in
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + buffer.count)]))
      }
    }
  }

  /// A copy of `count` bytes at `offset`; the caller has checked that they lie within ``count``.
  func read(offset: Int, count: Int) throws -> [UInt8] {
    try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
      initialized = count
    }
  }

  /// Reads a little-endian unsigned integer from `bytes` at `offset`; the caller has checked that it fits.
  static func littleEndian<T: FixedWidthInteger>(_: T.Type, in bytes: [UInt8], at offset: Int) -> T {
    bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
  }
}
