import Foundation

/// A `.safetensors` file, validated when opened; tensors are read one at a time.
///
/// Opening reads only the header: the 8-byte little-endian header length, then that many bytes of JSON.
/// Every entry is checked (see ``init(contentsOf:)``) before any tensor is read, so a 10 GB checkpoint
/// costs its header's size in memory plus one tensor at a time. Tensors are read with positioned reads,
/// not memory-mapped: a file truncated by another process while it is read gives
/// ``TensorFileError/changedWhileReading(_:_:)``, never a signal.
///
/// ```swift
/// let file = try SafetensorsFile(contentsOf: url)
/// for info in file.tensors {
///   let weight = try file.tensorData(named: info.name).tensor(as: Float.self)
/// }
/// ```
public final class SafetensorsFile: Sendable {
  /// The largest header the reader accepts, in bytes, as in the reference implementation.
  public static let maximumHeaderLength = 100_000_000

  /// The file (for files parsed from memory, a file URL made of the name given).
  public let url: URL
  /// The `__metadata__` strings, or empty.
  public let metadata: [String: String]
  /// Every tensor in the order of its data in the file.
  public let tensors: [TensorInfo]
  /// The absolute byte range of each of ``tensors``' data.
  private let ranges: [Range<Int>]
  private let indexByName: [String: Int]
  private let source: TensorFileBytes

  /// Opens and validates a `.safetensors` file; no tensor is read yet.
  ///
  /// - Parameter url: The file.
  /// - Throws: ``TensorFileError/io(_:_:)`` when it cannot be opened or read;
  ///   ``TensorFileError/notARegularFile(_:_:)`` for a directory, FIFO, socket or device;
  ///   ``TensorFileError/malformed(_:_:)`` when the file is shorter than 8 bytes, the header length exceeds
  ///   the file or ``maximumHeaderLength``, the header is not UTF-8 JSON or not an object, an entry has an
  ///   unknown dtype, a shape that is not a list of non-negative integers or whose size overflows, data
  ///   offsets that are reversed, out of range, overlapping, leave holes or do not match dtype × shape, a
  ///   name appears twice, or `__metadata__` is not an object of strings.
  /// - Complexity: O(h + n log n) for a header of h bytes describing n tensors.
  public convenience init(contentsOf url: URL) throws {
    try self.init(source: .file(ReadOnlyFile(url: url)), url: url)
  }

  /// Parses a `.safetensors` file held in memory, with the same checks as ``init(contentsOf:)``.
  ///
  /// - Parameters:
  ///   - bytes: The whole file.
  ///   - name: Names the bytes in error messages.
  /// - Throws: ``TensorFileError/malformed(_:_:)`` as ``init(contentsOf:)`` does.
  public convenience init(bytes: [UInt8], name: String = "memory.safetensors") throws {
    try self.init(source: .memory(bytes, name: name), url: URL(fileURLWithPath: name))
  }

  private init(source: TensorFileBytes, url: URL) throws {
    self.url = url
    self.source = source
    let header = try SafetensorsHeader(file: source)
    metadata = header.metadata
    let tensors = header.entries.map(\.info)
    self.tensors = tensors
    ranges = header.entries.map(\.range)
    indexByName = Dictionary(uniqueKeysWithValues: tensors.indices.map { (tensors[$0].name, $0) })
  }

  /// The tensor names in the order of their data.
  public var names: [String] { tensors.map(\.name) }

  /// The description of one tensor.
  ///
  /// - Parameter name: The tensor's name.
  /// - Returns: Its dtype, shape and size.
  /// - Throws: ``TensorFileError/missingTensor(_:_:)``.
  /// - Complexity: O(1) on average.
  public func info(named name: String) throws -> TensorInfo {
    tensors[try index(named: name)]
  }

  /// Reads one tensor's elements (a copy of its bytes; the rest of the file is not touched).
  ///
  /// - Parameter name: The tensor's name.
  /// - Returns: The tensor's data.
  /// - Throws: ``TensorFileError/missingTensor(_:_:)``; ``TensorFileError/changedWhileReading(_:_:)`` when
  ///   the file was truncated or grew since it was opened; ``TensorFileError/io(_:_:)`` on a read error.
  /// - Complexity: O(size of that tensor).
  public func tensorData(named name: String) throws -> TensorData {
    let index = try index(named: name)
    let (info, range) = (tensors[index], ranges[index])
    return TensorData(unchecked: info.dtype, shape: info.shape, bytes: try source.read(offset: range.lowerBound, count: range.count))
  }

  /// The statistics of one tensor, computed straight from the file a chunk at a time.
  ///
  /// Memory stays at one chunk (``TensorStatistics/chunkByteCount`` bytes) whatever the tensor's size.
  /// - Parameter name: The tensor's name.
  /// - Throws: ``TensorFileError/unsupported(_:_:)`` for the 8-bit float types; what ``tensorData(named:)``
  ///   throws.
  /// - Complexity: O(size of that tensor).
  public func statistics(named name: String) throws -> TensorStatistics {
    try statistics(named: name, chunkByteCount: TensorStatistics.chunkByteCount)
  }

  func statistics(named name: String, chunkByteCount: Int) throws -> TensorStatistics {
    let index = try index(named: name)
    return try TensorStatistics(
      dtype: tensors[index].dtype, bytesAt: ranges[index], of: source, byteSwapped: false, chunkByteCount: chunkByteCount)
  }

  private func index(named name: String) throws -> Int {
    guard let index = indexByName[name] else { throw TensorFileError.missingTensor(source.path, name) }
    return index
  }
}
