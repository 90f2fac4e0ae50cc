import Foundation

/// A NumPy `.npy` file, validated when opened; the elements are read when asked for.
///
/// Reads format versions 1.0, 2.0 and 3.0 of every plain number type ``DType/parse(npyDescr:)`` accepts;
/// big-endian data are byte-swapped and `fortran_order: True` data are transposed to row-major order when
/// the elements are read. The elements are read with positioned reads, not memory-mapped, so a file
/// truncated while it is read gives ``TensorFileError/changedWhileReading(_:_:)``, never a signal. Writes version 1.0 (2.0 when the header needs more than 65,535 bytes), laid out
/// byte for byte as `numpy.save` lays it out.
///
/// ```swift
/// let file = try NPYFile(contentsOf: url)
/// print(file.info.dtype, file.info.shape)
/// let weights: Tensor<Float> = try file.tensorData().tensor(as: Float.self)
/// try NPYFile.write(TensorData(weights), to: outputURL)
/// ```
public final class NPYFile: Sendable {
  /// What the header of an `.npy` file says.
  public struct Header: Sendable, Equatable {
    /// The format version, such as `(1, 0)`.
    public let version: (major: UInt8, minor: UInt8)
    /// The element type.
    public let dtype: DType
    /// The extents, outermost first (as NumPy reports them, whatever the storage order).
    public let shape: [Int]
    /// Whether the elements are stored in column-major (Fortran) order.
    public let isFortranOrder: Bool
    /// Whether the elements are stored big-endian.
    public let isBigEndian: Bool
    /// Where the elements begin in the file.
    public let dataOffset: Int

    /// Whether two headers agree in every field.
    public static func == (lhs: Header, rhs: Header) -> Bool {
      lhs.version == rhs.version && lhs.dtype == rhs.dtype && lhs.shape == rhs.shape
        && lhs.isFortranOrder == rhs.isFortranOrder && lhs.isBigEndian == rhs.isBigEndian
        && lhs.dataOffset == rhs.dataOffset
    }
  }

  /// The largest header the reader accepts, in bytes (1 MiB; NumPy writes a few hundred bytes, and a
  /// header needs 3 bytes per axis).
  public static let maximumHeaderLength = 1 << 20

  /// The file (for files parsed from memory, a file URL made of the name given).
  public let url: URL
  /// The parsed header.
  public let header: Header
  private let source: TensorFileBytes

  /// Opens and validates an `.npy` file; the elements are not read yet.
  ///
  /// - Parameter url: The file.
  /// - Throws: ``TensorFileError/io(_:_:)`` when it cannot be opened or read,
  ///   ``TensorFileError/notARegularFile(_:_:)`` for a directory, FIFO, socket or device,
  ///   ``TensorFileError/malformed(_:_:)`` for a bad magic string, a truncated preamble or header, a header
  ///   longer than ``maximumHeaderLength``, a header that is not a Python dict with exactly the keys
  ///   `descr`, `fortran_order` and `shape`, an invalid shape, or data shorter or longer than the shape
  ///   needs; ``TensorFileError/unsupported(_:_:)`` for another format version or element type.
  public convenience init(contentsOf url: URL) throws {
    try self.init(source: .file(ReadOnlyFile(url: url)), url: url)
  }

  /// Parses an `.npy` file held in memory, with the same checks as ``init(contentsOf:)``.
  ///
  /// - Parameters:
  ///   - bytes: The whole file.
  ///   - name: Names the bytes in error messages and, without its extension, the array (``info``).
  /// - Throws: What ``init(contentsOf:)`` throws for the file's contents.
  public convenience init(bytes: [UInt8], name: String = "memory.npy") throws {
    try self.init(source: .memory(bytes, name: name), url: URL(fileURLWithPath: name))
  }

  private init(source: TensorFileBytes, url: URL) throws {
    self.url = url
    self.source = source
    header = try NPYFile.parseHeader(source)
  }

  /// The name, element type, shape and size of the array; the name is the file name without extension.
  public var info: TensorInfo {
    TensorInfo(
      name: url.deletingPathExtension().lastPathComponent, dtype: header.dtype, shape: header.shape,
      byteCount: source.count - header.dataOffset)
  }

  /// Reads the elements into row-major, little-endian ``TensorData``.
  ///
  /// - Throws: ``TensorFileError/changedWhileReading(_:_:)`` when the file was truncated or grew since it
  ///   was opened; ``TensorFileError/io(_:_:)`` on a read error.
  /// - Complexity: O(size of the data); one copy, plus one pass for a byte swap or a transposition.
  public func tensorData() throws -> TensorData {
    var bytes = try source.read(offset: header.dataOffset, count: info.byteCount)
    let size = header.dtype.byteSize
    if header.isFortranOrder && header.shape.count > 1 {
      bytes = NPYFile.rowMajor(fromColumnMajor: bytes, shape: header.shape, elementSize: size)
    }
    if header.isBigEndian {
      for start in stride(from: 0, to: bytes.count, by: size) { bytes[start..<(start + size)].reverse() }
    }
    return TensorData(unchecked: header.dtype, shape: header.shape, bytes: bytes)
  }

  /// The statistics of the array, computed straight from the file a chunk at a time.
  ///
  /// Memory stays at one chunk (``TensorStatistics/chunkByteCount`` bytes) whatever the array's size. The
  /// elements are taken in storage order (column-major for `fortran_order: True`), which only affects the
  /// rounding of the mean.
  /// - Throws: What ``tensorData()`` throws.
  /// - Complexity: O(size of the data).
  public func statistics() throws -> TensorStatistics {
    try statistics(chunkByteCount: TensorStatistics.chunkByteCount)
  }

  func statistics(chunkByteCount: Int) throws -> TensorStatistics {
    try TensorStatistics(
      dtype: header.dtype, bytesAt: header.dataOffset..<source.count, of: source, byteSwapped: header.isBigEndian,
      chunkByteCount: chunkByteCount)
  }

  /// Reads the array of an `.npy` file.
  ///
  /// - Parameter url: The file.
  /// - Returns: Its elements in row-major order.
  /// - Throws: What ``init(contentsOf:)`` throws.
  public static func read(_ url: URL) throws -> TensorData {
    try NPYFile(contentsOf: url).tensorData()
  }

  /// Writes `data` as an `.npy` file through ``AtomicFile``.
  ///
  /// - Parameters:
  ///   - data: The array.
  ///   - url: The destination.
  ///   - protectedInputs: Files that must not be overwritten.
  /// - Throws: ``TensorFileError/unsupported(_:_:)`` for element types NumPy cannot store (`BF16`, the 8-bit
  ///   floats), and what ``AtomicFile/write(_:to:protectedInputs:)`` throws.
  public static func write(_ data: TensorData, to url: URL, protectedInputs: [URL] = []) throws {
    guard let descr = data.dtype.npyDescr else {
      throw TensorFileError.unsupported(url.path, "NumPy has no type for \(data.dtype.rawValue); use .safetensors")
    }
    var file = preamble(descr: descr, shape: data.shape)
    file.append(contentsOf: data.bytes)
    try AtomicFile.write(file, to: url, protectedInputs: protectedInputs)
  }

  // MARK: - Format details

  private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
  /// The spare room NumPy leaves in a header so the first extent can grow in place.
  private static let growthAxisDigits = 21

  /// Magic string, version, header length and header, padded with spaces and ended by a newline so that
  /// the data start at a multiple of 64 bytes.
  static func preamble(descr: String, shape: [Int]) -> Data {
    let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    var dictionary = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    if let first = shape.first { dictionary += String(repeating: " ", count: growthAxisDigits - String(first).count) }
    let headerLength = dictionary.utf8.count + 1
    for (version, lengthSize) in [(UInt8(1), 2), (UInt8(2), 4)] {
      let padding = 64 - (magic.count + 2 + lengthSize + headerLength) % 64
      let total = headerLength + padding
      guard lengthSize == 4 || total <= Int(UInt16.max) else { continue }
      var bytes = Data(magic + [version, 0])
      withUnsafeBytes(of: UInt32(total).littleEndian) { bytes.append(contentsOf: $0.prefix(lengthSize)) }
      bytes.append(contentsOf: Array(dictionary.utf8) + Array(repeating: 0x20, count: padding) + [0x0A])
      return bytes
    }
    preconditionFailure("NPYFile.preamble: a header of \(headerLength) bytes does not fit version 2.0")
  }

  private static func parseHeader(_ file: TensorFileBytes) throws -> Header {
    let path = file.path
    let fileSize = file.count
    guard fileSize >= 10 else {
      throw TensorFileError.malformed(path, "\(fileSize) bytes, shorter than the 10-byte .npy preamble")
    }
    let preamble = try file.read(offset: 0, count: min(fileSize, 12))
    guard preamble.prefix(6).elementsEqual(magic) else {
      throw TensorFileError.malformed(path, "not an .npy file (the magic string \\x93NUMPY is missing)")
    }
    let (major, minor) = (preamble[6], preamble[7])
    let lengthSize: Int
    switch (major, minor) {
    case (1, 0): lengthSize = 2
    case (2, 0), (3, 0): lengthSize = 4
    default: throw TensorFileError.unsupported(path, ".npy format version \(major).\(minor) (readable: 1.0, 2.0, 3.0)")
    }
    guard fileSize >= 8 + lengthSize else {
      throw TensorFileError.malformed(path, "\(fileSize) bytes, shorter than the version \(major).0 preamble")
    }
    let headerLength =
      lengthSize == 2
      ? Int(TensorFileBytes.littleEndian(UInt16.self, in: preamble, at: 8))
      : Int(TensorFileBytes.littleEndian(UInt32.self, in: preamble, at: 8))
    let dataOffset = 8 + lengthSize + headerLength
    guard dataOffset <= fileSize else {
      throw TensorFileError.malformed(
        path, "the header of \(headerLength) bytes runs past the end of the file (\(fileSize) bytes): truncated")
    }
    guard headerLength <= maximumHeaderLength else {
      throw TensorFileError.malformed(path, "the header length \(headerLength) exceeds \(maximumHeaderLength) bytes")
    }
    let headerBytes = try file.read(offset: 8 + lengthSize, count: headerLength)
    let text: String
    if major == 3 {
      guard let decoded = String(validating: headerBytes, as: UTF8.self) else {
        throw TensorFileError.malformed(path, "the version 3.0 header is not valid UTF-8")
      }
      text = decoded
    } else {
      text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
    }
    let literal: PythonLiteral
    do {
      literal = try PythonLiteral.parse(text)
    } catch {
      throw TensorFileError.malformed(path, "the header is not a Python dict literal: \(error)")
    }
    guard case .dict(let entries) = literal else {
      throw TensorFileError.malformed(path, "the header is \(literal.kind), not a dict")
    }
    for key in ["descr", "fortran_order", "shape"] where entries[key] == nil {
      throw TensorFileError.malformed(path, "the header has no '\(key)' key")
    }
    if let extra = entries.keys.sorted().first(where: { !["descr", "fortran_order", "shape"].contains($0) }) {
      throw TensorFileError.malformed(path, "the header has the unexpected key '\(extra)'")
    }
    guard case .string(let descr) = entries["descr"] else {
      throw TensorFileError.unsupported(path, "descr is \(entries["descr"]?.kind ?? "missing"): structured dtypes")
    }
    guard let (dtype, isBigEndian) = DType.parse(npyDescr: descr) else {
      throw TensorFileError.unsupported(
        path, "element type '\(descr)' (readable: booleans, integers and f2/f4/f8 floats, either byte order)")
    }
    guard case .bool(let isFortranOrder) = entries["fortran_order"] else {
      throw TensorFileError.malformed(path, "fortran_order is \(entries["fortran_order"]?.kind ?? "missing"), not True or False")
    }
    guard case .tuple(let extents) = entries["shape"] else {
      throw TensorFileError.malformed(path, "shape is \(entries["shape"]?.kind ?? "missing"), not a tuple of integers")
    }
    var shape: [Int] = []
    for extent in extents {
      guard case .int(let value) = extent, value >= 0 else {
        throw TensorFileError.malformed(path, "shape contains \(extent.kind), not a non-negative integer")
      }
      shape.append(value)
    }
    let needed: Int
    do {
      needed = try TensorData.byteCount(dtype: dtype, shape: shape, subject: path)
    } catch TensorFileError.invalidTensor(_, let reason) {
      throw TensorFileError.malformed(path, reason)
    }
    let available = fileSize - dataOffset
    guard available == needed else {
      throw TensorFileError.malformed(
        path,
        "the data are \(available) bytes but shape \(shape) of \(descr) needs \(needed)"
          + (available < needed ? " (truncated)" : " (trailing bytes)"))
    }
    return Header(
      version: (major, minor), dtype: dtype, shape: shape, isFortranOrder: isFortranOrder,
      isBigEndian: isBigEndian, dataOffset: dataOffset)
  }

  /// Reorders column-major elements to row-major.
  ///
  /// Walks the row-major indices with an odometer and keeps the matching column-major offset, whose
  /// strides are `1, shape[0], shape[0]·shape[1], …`.
  /// - Complexity: O(count·elementSize).
  private static func rowMajor(fromColumnMajor source: [UInt8], shape: [Int], elementSize: Int) -> [UInt8] {
    let count = source.count / elementSize
    guard count > 0 else { return source }
    var strides = [Int](repeating: 1, count: shape.count)
    for axis in 1..<shape.count { strides[axis] = strides[axis - 1] * shape[axis - 1] }
    var result = [UInt8](repeating: 0, count: source.count)
    var index = [Int](repeating: 0, count: shape.count)
    var offset = 0
    for target in 0..<count {
      for byte in 0..<elementSize { result[target * elementSize + byte] = source[offset * elementSize + byte] }
      var axis = shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        offset += strides[axis]
        if index[axis] < shape[axis] { break }
        offset -= strides[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
    return result
  }
}
