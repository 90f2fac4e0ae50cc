/// Reads and writes elements of every numeric ``DType`` from and to little-endian bytes.
///
/// Reads use `loadUnaligned`, so the bytes may sit at any address (files from other writers need not align
/// their tensors).
enum ElementCodec {
  /// Converts `output.count` elements starting at element `first` of `raw` to `S`.
  ///
  /// Booleans become 0 or 1; integers convert exactly where `S` can hold them and round otherwise.
  /// - Precondition: `dtype.isNumeric` and `raw` holds elements `first ..< first + output.count`.
  /// - Complexity: O(output.count).
  static func decode<S: BinaryFloatingPoint>(
    _ raw: UnsafeRawBufferPointer, as dtype: DType, from first: Int, into output: UnsafeMutableBufferPointer<S>
  ) {
    precondition(dtype.isNumeric, "ElementCodec.decode: \(dtype.rawValue) has no numeric decoding")
    precondition((first + output.count) * dtype.byteSize <= raw.count, "ElementCodec.decode: range beyond data")
    func each<Stored: FixedWidthInteger>(_: Stored.Type, _ convert: (Stored) -> S) {
      let size = MemoryLayout<Stored>.size
      for i in output.indices {
        let stored = raw.loadUnaligned(fromByteOffset: (first + i) * size, as: Stored.self)
        output[i] = convert(Stored(littleEndian: stored))
      }
    }
    switch dtype {
    case .bool: each(UInt8.self) { $0 != 0 ? 1 : 0 }
    case .uint8: each(UInt8.self) { S($0) }
    case .int8: each(Int8.self) { S($0) }
    case .int16: each(Int16.self) { S($0) }
    case .uint16: each(UInt16.self) { S($0) }
    case .int32: each(Int32.self) { S($0) }
    case .uint32: each(UInt32.self) { S($0) }
    case .int64: each(Int64.self) { S($0) }
    case .uint64: each(UInt64.self) { S($0) }
    case .float16: each(UInt16.self) { S(HalfPrecision.float($0)) }
    case .bfloat16: each(UInt16.self) { S(BFloat16.float($0)) }
    case .float32: each(UInt32.self) { S(Float(bitPattern: $0)) }
    case .float64: each(UInt64.self) { S(Double(bitPattern: $0)) }
    case .float8E4M3, .float8E5M2: break
    }
  }

  /// Encodes `scalars` as elements of a floating-point `dtype`, rounding to nearest (ties to even).
  ///
  /// - Precondition: `dtype` is `F16`, `BF16`, `F32` or `F64`.
  /// - Complexity: O(scalars.count).
  static func encode<S: BinaryFloatingPoint>(_ scalars: [S], as dtype: DType) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: scalars.count * dtype.byteSize)
    bytes.withUnsafeMutableBytes { raw in
      func each<Stored: FixedWidthInteger>(_ convert: (S) -> Stored) {
        let size = MemoryLayout<Stored>.size
        for (i, x) in scalars.enumerated() {
          raw.storeBytes(of: convert(x).littleEndian, toByteOffset: i * size, as: Stored.self)
        }
      }
      switch dtype {
      case .float16: each { HalfPrecision.bits(Double($0)) }
      case .bfloat16: each { BFloat16.bits(Double($0)) }
      case .float32: each { Float($0).bitPattern }
      case .float64: each { Double($0).bitPattern }
      default: preconditionFailure("ElementCodec.encode: \(dtype.rawValue) is not a floating-point storage type")
      }
    }
    return bytes
  }
}
