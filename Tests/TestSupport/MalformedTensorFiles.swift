import Foundation

/// Byte-level broken `.safetensors` and `.npy` files, each with the words its error message must contain.
///
/// Shared by the reader tests and the `structml inspect` tests, so every case is checked at both levels.
public enum MalformedTensorFiles {
  /// One broken file.
  public struct Case: Sendable, CustomStringConvertible {
    /// What is wrong, in a few words.
    public let label: String
    /// `"safetensors"` or `"npy"`.
    public let fileExtension: String
    /// The file's contents.
    public let bytes: [UInt8]
    /// `"malformed file"` or `"unsupported"`: the kind of error expected.
    public let kind: String
    /// Text the error message must contain.
    public let reason: String

    public var description: String { "\(fileExtension): \(label)" }

    /// Writes the bytes to `broken.<extension>` in `folder` and returns the file's URL.
    public func write(into folder: TemporaryFolder) throws -> URL {
      let url = folder.file("broken.\(fileExtension)")
      try Data(bytes).write(to: url)
      return url
    }
  }

  /// A safetensors file: 8-byte little-endian header length (or `declaredLength`), header, data.
  public static func safetensors(_ header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    safetensors(headerBytes: Array(header.utf8), data: data, declaredLength: declaredLength)
  }

  /// A safetensors file from raw header bytes.
  public static func safetensors(headerBytes: [UInt8], data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    littleEndian(declaredLength ?? UInt64(headerBytes.count), byteCount: 8) + headerBytes + data
  }

  /// An `.npy` file: magic, version, header length (2 bytes for version 1, else 4), header, data.
  public static func npy(
    _ header: String, data: [UInt8], major: UInt8 = 1, magic: String = "NUMPY", declaredLength: UInt64? = nil
  ) -> [UInt8] {
    npy(headerBytes: Array(header.utf8), data: data, major: major, magic: magic, declaredLength: declaredLength)
  }

  /// An `.npy` file from raw header bytes.
  public static func npy(
    headerBytes: [UInt8], data: [UInt8], major: UInt8 = 1, magic: String = "NUMPY", declaredLength: UInt64? = nil
  ) -> [UInt8] {
    [0x93] + Array(magic.utf8) + [major, 0]
      + littleEndian(declaredLength ?? UInt64(headerBytes.count), byteCount: major == 1 ? 2 : 4) + headerBytes + data
  }

  private static func littleEndian(_ value: UInt64, byteCount: Int) -> [UInt8] {
    (0..<byteCount).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
  }

  private static func entry(_ name: String, _ dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]")
    -> String
  {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
  }

  private static let eight = [UInt8](repeating: 0, count: 8)
  private static let npyHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"

  /// Every broken `.safetensors` case.
  public static let safetensorsCases: [Case] = {
    func bad(_ label: String, _ bytes: [UInt8], _ reason: String) -> Case {
      Case(label: label, fileExtension: "safetensors", bytes: bytes, kind: "malformed file", reason: reason)
    }
    return [
      bad("shorter than the header length", [1, 2, 3], "shorter than the 8-byte header length"),
      bad("header length beyond the file", safetensors("{}", data: [], declaredLength: 1000), "runs past the end"),
      bad("header length 2^63", safetensors("{}", data: [], declaredLength: 1 << 63), "runs past the end"),
      bad("header not UTF-8", safetensors(headerBytes: Array("{\"a".utf8) + [0xFF, 0x22, 0x7D], data: []), "not valid UTF-8"),
      bad("header not JSON", safetensors("{\"a\": }", data: []), "not valid JSON"),
      bad("header not an object", safetensors("[1, 2]", data: []), "does not start with '{'"),
      bad("text after the JSON object", safetensors("{} x", data: []), "unexpected text after"),
      bad("nesting too deep", safetensors("{\"a\":" + String(repeating: "[", count: 100) + "}", data: []), "nesting deeper"),
      bad("unknown dtype", safetensors("{\(entry("a", "F7"))}", data: eight), "unknown dtype 'F7'"),
      bad("shape not a list", safetensors("{\(entry("a", shape: "2"))}", data: eight), "shape is not a list"),
      bad("negative extent", safetensors("{\(entry("a", shape: "[-2]"))}", data: eight), "not a non-negative integer"),
      bad("fractional extent", safetensors("{\(entry("a", shape: "[2.0]"))}", data: eight), "not a non-negative integer"),
      bad(
        "shape product overflows",
        safetensors("{\(entry("a", shape: "[4294967296,4294967296,2]"))}", data: eight), "more elements than"),
      bad("byte length not dtype × shape", safetensors("{\(entry("a", shape: "[3]"))}", data: eight), "needs 12"),
      bad("data_offsets past the buffer", safetensors("{\(entry("a"))}", data: [0, 0, 0, 0]), "run past the 4-byte data buffer"),
      bad("data_offsets reversed", safetensors("{\(entry("a", offsets: "[8,0]"))}", data: eight), "reversed"),
      bad("data_offsets not two integers", safetensors("{\(entry("a", offsets: "[0]"))}", data: eight), "data_offsets is not"),
      bad(
        "overlapping tensors", safetensors("{\(entry("a")),\(entry("b", offsets: "[4,12]"))}", data: eight + [0, 0, 0, 0]),
        "overlaps"),
      bad(
        "hole between tensors", safetensors("{\(entry("a")),\(entry("b", offsets: "[12,20]"))}", data: eight + eight + eight),
        "leaves a hole"),
      bad("bytes after the last tensor", safetensors("{\(entry("a"))}", data: eight + [0]), "cover 8 data bytes"),
      bad("duplicate names", safetensors("{\(entry("a")),\(entry("a"))}", data: eight), "duplicate key \"a\""),
      bad("missing field", safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", data: eight), "no \"data_offsets\""),
      bad(
        "metadata value not a string", safetensors("{\"__metadata__\":{\"k\":1},\(entry("a"))}", data: eight),
        "value of 'k' is the number 1, not a string"),
      bad("metadata not an object", safetensors("{\"__metadata__\":[],\(entry("a"))}", data: eight), "__metadata__ is a list"),
      bad("empty file", [], "0 bytes, shorter than the 8-byte header length"),
      bad("empty header", safetensors("", data: []), "does not start with '{'"),
      bad(
        "nesting 100,000 deep", safetensors("{\"a\":" + String(repeating: "[", count: 100_000), data: []),
        "nesting deeper than 64 levels"),
      bad(
        "duplicate metadata key", safetensors("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},\(entry("a"))}", data: eight),
        "duplicate key \"k\""),
      bad(
        "duplicate field in an entry",
        safetensors("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: eight),
        "duplicate key \"dtype\""),
      bad("entry not an object", safetensors("{\"a\":5}", data: []), "tensor 'a': entry is the number 5, not an object"),
      bad("dtype not a string", safetensors("{\(entry("a").replacingOccurrences(of: "\"F32\"", with: "32"))}", data: eight), "dtype is not a string"),
      bad(
        "extent beyond Int", safetensors("{\(entry("a", shape: "[99999999999999999999]"))}", data: eight),
        "shape contains the number 99999999999999999999, not a non-negative integer"),
      bad(
        "offset beyond Int", safetensors("{\(entry("a", offsets: "[0,99999999999999999999]"))}", data: eight),
        "data_offsets is not a list of two non-negative integers"),
      bad(
        "offsets near 2^63", safetensors("{\(entry("a", "U8", shape: "[7]", offsets: "[9223372036854775800,9223372036854775807]"))}", data: eight),
        "run past the 8-byte data buffer"),
      bad(
        "empty tensor inside another",
        safetensors("{\(entry("a")),\(entry("e", shape: "[0]", offsets: "[4,4]"))}", data: eight), "overlaps"),
      bad("unpaired surrogate in a name", safetensors("{\"\\ud800\":5}", data: []), "unpaired surrogate"),
      bad("raw control character in a name", safetensors("{\"a\u{1B}[2J\":5}", data: []), "control character in a string"),
    ]
  }()

  /// Every broken `.npy` case.
  public static let npyCases: [Case] = {
    func bad(_ label: String, _ bytes: [UInt8], _ reason: String, kind: String = "malformed file") -> Case {
      Case(label: label, fileExtension: "npy", bytes: bytes, kind: kind, reason: reason)
    }
    func header(shape: String = "(2,)", descr: String = "<f4", fortran: String = "False") -> String {
      "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
    }
    return [
      bad("shorter than the preamble", [0x93, 0x4E, 0x55, 0x4D, 0x50], "shorter than the 10-byte"),
      bad("bad magic", npy(npyHeader, data: eight, magic: "NUMPZ"), "magic string"),
      bad("unsupported version", npy(npyHeader, data: eight, major: 4), "format version 4.0", kind: "unsupported"),
      bad("truncated header", npy(npyHeader, data: [], declaredLength: 200), "runs past the end"),
      bad("unterminated dict", npy("{'descr': '<f4', 'shape': (2,", data: eight), "not a Python dict literal"),
      bad(
        "JSON instead of Python", npy("{\"descr\": \"<f4\", \"fortran_order\": false, \"shape\": [2]}", data: eight),
        "unknown name 'false'"),
      bad("not a dict", npy("(1, 2)", data: eight), "is a tuple, not a dict"),
      bad("missing key", npy("{'descr': '<f4', 'fortran_order': False}", data: eight), "no 'shape' key"),
      bad("unexpected key", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data: eight), "unexpected key 'x'"),
      bad("shape is a list", npy(header(shape: "[2]"), data: eight), "shape is a list"),
      bad("shape is not a tuple", npy(header(shape: "(2)"), data: eight), "shape is the integer 2"),
      bad("negative extent", npy(header(shape: "(-2,)"), data: eight), "not a non-negative integer"),
      bad("shape product overflows", npy(header(shape: "(4611686018427387904, 4)"), data: eight), "more elements than"),
      bad("fortran_order not a bool", npy(header(fortran: "0"), data: eight), "fortran_order is the integer 0"),
      bad("complex dtype", npy(header(descr: "<c8"), data: eight), "element type '<c8'", kind: "unsupported"),
      bad("data shorter than the shape needs", npy(npyHeader, data: [0, 0, 0, 0]), "(truncated)"),
      bad("data longer than the shape needs", npy(npyHeader, data: eight + [0]), "(trailing bytes)"),
      bad(
        "version 3 header not UTF-8", npy(headerBytes: Array("{'descr': '".utf8) + [0xC3, 0x28] + Array("'}".utf8), data: [], major: 3),
        "not valid UTF-8"),
      bad("empty file", [], "0 bytes, shorter than the 10-byte .npy preamble"),
      bad("version 2 header length 2^32 - 1", npy(npyHeader, data: eight, major: 2, declaredLength: 0xFFFF_FFFF), "runs past the end"),
      bad(
        "minor version 1.1", [0x93] + Array("NUMPY".utf8) + [1, 1, 0, 0] + Array(npyHeader.utf8), "format version 1.1",
        kind: "unsupported"),
      bad(
        "extent beyond Int", npy(header(shape: "(99999999999999999999,)"), data: eight),
        "integer '99999999999999999999' is malformed or out of range"),
      bad("extent None", npy(header(shape: "(None,)"), data: eight), "shape contains None"),
      bad("descr not a string", npy("{'descr': 5, 'fortran_order': False, 'shape': (2,), }", data: eight), "descr is the integer 5", kind: "unsupported"),
      bad("nesting too deep", npy("{'shape': " + String(repeating: "(", count: 100_000), data: []), "nesting too deep"),
      bad(
        "duplicate key", npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: eight),
        "duplicate key 'descr'"),
      bad("unterminated string", npy("{'descr': '<f4}", data: eight), "unterminated string"),
      bad("malformed shape tuple", npy(header(shape: "(2,,)"), data: eight), "unexpected character ','"),
      bad("dtype and byte length disagree", npy(header(descr: "<f8"), data: eight), "needs 16 (truncated)"),
    ]
  }()
}
