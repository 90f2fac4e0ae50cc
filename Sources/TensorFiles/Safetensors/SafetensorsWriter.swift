import Foundation

/// Writes a `.safetensors` file whose tensors are produced one at a time, holding one tensor in memory.
///
/// All entries (name, dtype, shape) and the metadata are given up front, so the header can be written
/// first; then each tensor is appended in the declared order and ``finish()`` renames the finished file
/// into place. Until then the data sit in a temporary file beside the destination: if an append fails,
/// or the writer is released without ``finish()``, the temporary file is removed and nothing appears at
/// the destination.
///
/// ```swift
/// let writer = try SafetensorsWriter(
///   url: output, entries: [("w1", .float32, [64, 64]), ("w2", .float32, [64, 64])],
///   metadata: ["format": "pt"])
/// try writer.append(name: "w1", data: TensorData(first))
/// try writer.append(name: "w2", data: TensorData(second))
/// try writer.finish()
/// ```
///
/// The header is padded with spaces to a multiple of 8 bytes, as the reference writer pads it.
public final class SafetensorsWriter {
  /// One declared tensor.
  public typealias Entry = (name: String, dtype: DType, shape: [Int])

  private let entries: [Entry]
  private let file: AtomicFile
  private var appended = 0
  private var isOpen = true

  /// Validates the entries, creates the temporary file and writes the header.
  ///
  /// - Parameters:
  ///   - url: The destination.
  ///   - entries: Every tensor, in the order they will be appended.
  ///   - metadata: The `__metadata__` strings (written with sorted keys), or empty.
  ///   - protectedInputs: Files that must not be overwritten.
  /// - Throws: ``TensorFileError/invalidTensor(_:_:)`` for a duplicate or reserved name or an invalid shape;
  ///   what ``AtomicFile/init(url:protectedInputs:)`` throws.
  public init(url: URL, entries: [Entry], metadata: [String: String] = [:], protectedInputs: [URL] = []) throws {
    var names = Set<String>()
    var offsets: [(Int, Int)] = []
    var end = 0
    for entry in entries {
      guard entry.name != "__metadata__" else {
        throw TensorFileError.invalidTensor(url.path, "'__metadata__' is reserved and cannot name a tensor")
      }
      guard names.insert(entry.name).inserted else {
        throw TensorFileError.invalidTensor(url.path, "tensor '\(entry.name)' is declared twice")
      }
      let size = try TensorData.byteCount(dtype: entry.dtype, shape: entry.shape, subject: "tensor '\(entry.name)'")
      offsets.append((end, end + size))
      end += size
    }
    var header = "{"
    var members: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(Self.quoted($0)):\(Self.quoted(metadata[$0] ?? ""))" }
      members.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
    }
    for (entry, (begin, end)) in zip(entries, offsets) {
      let shape = entry.shape.map(String.init).joined(separator: ",")
      members.append(
        "\(Self.quoted(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(begin),\(end)]}")
    }
    header += members.joined(separator: ",") + "}"
    var headerBytes = Array(header.utf8)
    headerBytes += Array(repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)

    self.entries = entries
    file = try AtomicFile(url: url, protectedInputs: protectedInputs)
    var preamble = Data()
    withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { preamble.append(contentsOf: $0) }
    preamble.append(contentsOf: headerBytes)
    try file.write(contentsOf: preamble)
  }

  /// Appends the next tensor's elements.
  ///
  /// - Parameters:
  ///   - name: Must be the next declared name.
  ///   - data: Must have the declared dtype and shape.
  /// - Throws: ``TensorFileError/invalidTensor(_:_:)`` when the tensor is not the one declared next, or
  ///   ``TensorFileError/io(_:_:)``; the output is then abandoned and nothing is written to the destination.
  public func append(name: String, data: TensorData) throws {
    guard isOpen else { throw TensorFileError.io(file.url.path, "the writer was already finished or abandoned") }
    guard appended < entries.count else {
      abandon()
      throw TensorFileError.invalidTensor(name, "not declared: all \(entries.count) tensors were already written")
    }
    let expected = entries[appended]
    guard expected.name == name, expected.dtype == data.dtype, expected.shape == data.shape else {
      abandon()
      throw TensorFileError.invalidTensor(
        name,
        "expected tensor '\(expected.name)' (\(expected.dtype.rawValue) \(expected.shape)) next, "
          + "got '\(name)' (\(data.dtype.rawValue) \(data.shape))")
    }
    do {
      try file.write(contentsOf: data.bytes)
    } catch {
      abandon()
      throw error
    }
    appended += 1
  }

  /// Checks that every declared tensor was appended and renames the file into place.
  ///
  /// - Throws: ``TensorFileError/invalidTensor(_:_:)`` when tensors are missing (nothing is written), or
  ///   ``TensorFileError/io(_:_:)``.
  public func finish() throws {
    guard isOpen else { throw TensorFileError.io(file.url.path, "the writer was already finished or abandoned") }
    guard appended == entries.count else {
      abandon()
      throw TensorFileError.invalidTensor(
        file.url.path, "only \(appended) of \(entries.count) declared tensors were written (next: '\(entries[appended].name)')")
    }
    isOpen = false
    try file.commit()
  }

  /// Removes the temporary file; the destination is left as it was.
  public func abandon() {
    isOpen = false
    file.discard()
  }

  /// Writes a complete `.safetensors` file in one call.
  ///
  /// Tensors are laid out as the reference writer lays them out (by decreasing element size, then by
  /// name), so with the 8-byte header padding every tensor is aligned to its element size.
  /// - Parameters:
  ///   - tensors: Names and data; names must be unique.
  ///   - metadata: The `__metadata__` strings, or empty.
  ///   - url: The destination.
  ///   - protectedInputs: Files that must not be overwritten.
  /// - Throws: What ``init(url:entries:metadata:protectedInputs:)`` and ``append(name:data:)`` throw.
  public static func write(
    _ tensors: [(String, TensorData)], metadata: [String: String] = [:], to url: URL, protectedInputs: [URL] = []
  ) throws {
    let ordered = tensors.sorted { a, b in
      a.1.dtype.byteSize != b.1.dtype.byteSize ? a.1.dtype.byteSize > b.1.dtype.byteSize : a.0 < b.0
    }
    let writer = try SafetensorsWriter(
      url: url, entries: ordered.map { ($0.0, $0.1.dtype, $0.1.shape) }, metadata: metadata,
      protectedInputs: protectedInputs)
    for (name, data) in ordered { try writer.append(name: name, data: data) }
    try writer.finish()
  }

  /// `text` as a JSON string literal.
  private static func quoted(_ text: String) -> String {
    // Encoding a String cannot fail; the fallback only satisfies the type checker.
    (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
  }
}
