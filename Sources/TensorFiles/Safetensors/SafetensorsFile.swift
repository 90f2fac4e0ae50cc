import Foundation

/// A `.safetensors` file, memory-mapped and validated when opened; tensors are read one at a time.
///
/// Opening reads only the header: the 8-byte little-endian header length, then that many bytes of JSON.
/// Every entry is checked (see ``init(contentsOf:)``) before any tensor is read, so a 10 GB checkpoint
/// costs its header's size in memory plus one tensor at a time.
///
/// ```swift
/// let file = try SafetensorsFile(contentsOf: url)
/// for info in file.tensors {
///   let weight = try file.tensorData(named: info.name).tensor(as: Float.self)
/// }
/// ```
public final class SafetensorsFile: Sendable {
  /// The largest header the reader accepts, as in the reference implementation.
  public static let maximumHeaderLength = 100_000_000

  /// The file.
  public let url: URL
  /// The `__metadata__` strings, or empty.
  public let metadata: [String: String]
  /// Every tensor in the order of its data in the file.
  public let tensors: [TensorInfo]
  private let ranges: [String: Range<Int>]
  private let mapping: MappedFile

  /// Opens, maps and validates a `.safetensors` file; no tensor is read yet.
  ///
  /// - Parameter url: The file.
  /// - Throws: ``TensorFileError/io(_:_:)`` when it cannot be read; ``TensorFileError/malformed(_:_:)``
  ///   when the file is shorter than 8 bytes, the header length exceeds the file or
  ///   ``maximumHeaderLength``, the header is not UTF-8 JSON or not an object, an entry has an unknown
  ///   dtype, a shape that is not a list of non-negative integers or whose size overflows, data offsets that
  ///   are reversed, out of range, overlapping, leave holes or do not match dtype × shape, a name appears
  ///   twice, or `__metadata__` is not an object of strings.
  public init(contentsOf url: URL) throws {
    self.url = url
    mapping = try MappedFile(url: url)
    let header = try SafetensorsHeader(file: mapping)
    metadata = header.metadata
    tensors = header.entries.map(\.info)
    ranges = Dictionary(uniqueKeysWithValues: header.entries.map { ($0.info.name, $0.range) })
  }

  /// The tensor names in the order of their data.
  public var names: [String] { tensors.map(\.name) }

  /// The description of one tensor.
  ///
  /// - Parameter name: The tensor's name.
  /// - Returns: Its dtype, shape and size.
  /// - Throws: ``TensorFileError/missingTensor(_:_:)``.
  public func info(named name: String) throws -> TensorInfo {
    guard let info = tensors.first(where: { $0.name == name }) else {
      throw TensorFileError.missingTensor(url.path, name)
    }
    return info
  }

  /// Reads one tensor's elements (a copy of its bytes; the rest of the file is not touched).
  ///
  /// - Parameter name: The tensor's name.
  /// - Returns: The tensor's data.
  /// - Throws: ``TensorFileError/missingTensor(_:_:)``.
  /// - Complexity: O(size of that tensor).
  public func tensorData(named name: String) throws -> TensorData {
    let info = try info(named: name)
    guard let range = ranges[name] else { throw TensorFileError.missingTensor(url.path, name) }
    return TensorData(unchecked: info.dtype, shape: info.shape, bytes: mapping.copy(offset: range.lowerBound, count: range.count))
  }
}
