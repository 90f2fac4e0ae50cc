/// The validated header of a `.safetensors` file: metadata and one entry per tensor, with absolute byte
/// ranges in the file.
struct SafetensorsHeader {
  struct Entry {
    let info: TensorInfo
    /// The absolute byte range of the tensor's data in the file.
    let range: Range<Int>
  }

  let metadata: [String: String]
  /// The entries sorted by the start of their data.
  let entries: [Entry]

  /// Reads and validates the header of `file`.
  ///
  /// - Complexity: O(h + n log n) for a header of h bytes describing n tensors.
  init(file: TensorFileBytes) throws {
    let path = file.path
    let fileSize = file.count
    func malformed(_ reason: String) -> TensorFileError { .malformed(path, reason) }
    guard fileSize >= 8 else {
      throw malformed("\(fileSize) bytes, shorter than the 8-byte header length of a .safetensors file")
    }
    let declaredLength = TensorFileBytes.littleEndian(UInt64.self, in: try file.read(offset: 0, count: 8), at: 0)
    guard declaredLength <= UInt64(fileSize - 8) else {
      throw malformed("the header length \(declaredLength) runs past the end of the file (\(fileSize) bytes)")
    }
    let headerLength = Int(declaredLength)
    guard headerLength <= SafetensorsFile.maximumHeaderLength else {
      throw malformed("the header length \(headerLength) exceeds \(SafetensorsFile.maximumHeaderLength) bytes")
    }
    let headerBytes = try file.read(offset: 8, count: headerLength)
    guard String(validating: headerBytes, as: UTF8.self) != nil else {
      throw malformed("the header is not valid UTF-8")
    }
    guard headerBytes.first == UInt8(ascii: "{") else {
      throw malformed("the header does not start with '{' (it must be a JSON object)")
    }
    let json: HeaderJSON
    do {
      json = try HeaderJSON.parse(headerBytes)
    } catch {
      throw malformed("the header is not valid JSON: \(error)")
    }
    guard case .object(let members) = json else { throw malformed("the header is \(json.kind), not a JSON object") }

    var metadata: [String: String] = [:]
    var entries: [Entry] = []
    let dataStart = 8 + headerLength
    for (name, value) in members {
      if name == "__metadata__" {
        guard case .object(let pairs) = value else { throw malformed("__metadata__ is \(value.kind), not an object") }
        for (key, item) in pairs {
          guard case .string(let text) = item else {
            throw malformed("__metadata__ value of '\(key)' is \(item.kind), not a string")
          }
          metadata[key] = text
        }
        continue
      }
      entries.append(
        try Self.entry(name: name, value: value, dataStart: dataStart, fileSize: fileSize, path: path))
    }
    // By start, then end, so that an empty tensor sorts before a tensor that starts where it does; then by
    // name (names are unique), so that the order does not depend on the sort algorithm.
    entries.sort {
      ($0.range.lowerBound, $0.range.upperBound, $0.info.name) < ($1.range.lowerBound, $1.range.upperBound, $1.info.name)
    }
    var expectedStart = dataStart
    for entry in entries {
      guard entry.range.lowerBound == expectedStart else {
        let problem = entry.range.lowerBound < expectedStart ? "overlaps the tensor before it" : "leaves a hole before it"
        throw malformed(
          "tensor '\(entry.info.name)' starts at data offset \(entry.range.lowerBound - dataStart), which \(problem)"
            + " (expected \(expectedStart - dataStart))")
      }
      expectedStart = entry.range.upperBound
    }
    guard expectedStart == fileSize else {
      throw malformed(
        "the tensors cover \(expectedStart - dataStart) data bytes but the file holds \(fileSize - dataStart)")
    }
    self.metadata = metadata
    self.entries = entries
  }

  private static func entry(
    name: String, value: HeaderJSON, dataStart: Int, fileSize: Int, path: String
  ) throws -> Entry {
    func malformed(_ reason: String) -> TensorFileError { .malformed(path, "tensor '\(name)': \(reason)") }
    guard case .object(let fields) = value else { throw malformed("entry is \(value.kind), not an object") }
    func field(_ key: String) throws -> HeaderJSON {
      guard let found = fields.first(where: { $0.key == key }) else { throw malformed("no \"\(key)\" field") }
      return found.value
    }
    guard case .string(let dtypeName) = try field("dtype") else { throw malformed("dtype is not a string") }
    guard let dtype = DType(rawValue: dtypeName) else {
      throw malformed(
        "unknown dtype '\(dtypeName)' (known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    guard case .array(let extents) = try field("shape") else { throw malformed("shape is not a list") }
    let shape = try extents.map { extent in
      guard let value = extent.nonNegativeInt else {
        throw malformed("shape contains \(extent.kind), not a non-negative integer")
      }
      return value
    }
    guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
      let begin = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt
    else { throw malformed("data_offsets is not a list of two non-negative integers") }
    guard begin <= end else { throw malformed("data_offsets [\(begin), \(end)] are reversed") }
    let needed: Int
    do {
      needed = try TensorData.byteCount(dtype: dtype, shape: shape, subject: name)
    } catch TensorFileError.invalidTensor(_, let reason) {
      throw malformed(reason)
    }
    guard end - begin == needed else {
      throw malformed("data_offsets [\(begin), \(end)] span \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(needed)")
    }
    let (absoluteEnd, overflow) = dataStart.addingReportingOverflow(end)
    guard !overflow, absoluteEnd <= fileSize else {
      throw malformed("data_offsets [\(begin), \(end)] run past the \(fileSize - dataStart)-byte data buffer")
    }
    return Entry(
      info: TensorInfo(name: name, dtype: dtype, shape: shape, byteCount: needed),
      range: (dataStart + begin)..<absoluteEnd)
  }
}
