/// The element type of a stored tensor, named as safetensors names it.
///
/// Every case has a fixed size in bytes and is stored little-endian. `.npy` files name the same types by
/// their NumPy `descr` (``npyDescr``); `BF16` and the two 8-bit float formats exist only in safetensors.
public enum DType: String, CaseIterable, Sendable, Hashable {
  case bool = "BOOL"
  case uint8 = "U8"
  case int8 = "I8"
  case int16 = "I16"
  case uint16 = "U16"
  case float16 = "F16"
  case bfloat16 = "BF16"
  case int32 = "I32"
  case uint32 = "U32"
  case float32 = "F32"
  case float64 = "F64"
  case int64 = "I64"
  case uint64 = "U64"
  /// 8-bit float, 4 exponent and 3 mantissa bits (OCP "E4M3FN"); readable as raw bytes only.
  case float8E4M3 = "F8_E4M3"
  /// 8-bit float, 5 exponent and 2 mantissa bits; readable as raw bytes only.
  case float8E5M2 = "F8_E5M2"

  /// The size of one element in bytes.
  public var byteSize: Int {
    switch self {
    case .bool, .uint8, .int8, .float8E4M3, .float8E5M2: return 1
    case .int16, .uint16, .float16, .bfloat16: return 2
    case .int32, .uint32, .float32: return 4
    case .float64, .int64, .uint64: return 8
    }
  }

  /// Whether elements convert to numbers (every type except the 8-bit floats).
  public var isNumeric: Bool { self != .float8E4M3 && self != .float8E5M2 }

  /// The little-endian NumPy `descr` of the type, or `nil` for types NumPy cannot store.
  public var npyDescr: String? {
    switch self {
    case .bool: return "|b1"
    case .uint8: return "|u1"
    case .int8: return "|i1"
    case .int16: return "<i2"
    case .uint16: return "<u2"
    case .float16: return "<f2"
    case .int32: return "<i4"
    case .uint32: return "<u4"
    case .float32: return "<f4"
    case .float64: return "<f8"
    case .int64: return "<i8"
    case .uint64: return "<u8"
    case .bfloat16, .float8E4M3, .float8E5M2: return nil
    }
  }

  /// Reads a NumPy `descr` such as `<f4`, `>i2` or `|b1`.
  ///
  /// - Parameter descr: The `descr` string of an `.npy` header.
  /// - Returns: The element type and whether the data are big-endian, or `nil` for a `descr` that is not a
  ///   supported plain number type (complex, strings, objects, structured types).
  public static func parse(npyDescr descr: String) -> (dtype: DType, isBigEndian: Bool)? {
    guard let order = descr.first, "<>|=".contains(order) else { return nil }
    let kind = descr.dropFirst()
    guard let dtype = allCases.first(where: { $0.npyDescr?.dropFirst() == kind }) else { return nil }
    if order == "|" && dtype.byteSize != 1 { return nil }
    return (dtype, order == ">" && dtype.byteSize > 1)
  }
}
