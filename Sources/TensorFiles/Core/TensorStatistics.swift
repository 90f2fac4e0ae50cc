/// Summary statistics of one tensor's elements: minimum, maximum, mean and the number of NaNs.
///
/// NaNs are counted and left out of the other three; infinities take part (a mean may be infinite).
/// The extremes are kept exactly (``smallest`` and ``largest``: an `I64` or `U64` beyond 2⁵³ is not
/// rounded); the mean is accumulated in `Double`, element by element in storage order.
public struct TensorStatistics: Sendable, Equatable {
  /// The size of the chunks in which ``SafetensorsFile/statistics(named:)`` and ``NPYFile/statistics()``
  /// read a tensor: 16 MiB, a multiple of every element size.
  public static let chunkByteCount = 16 << 20

  /// An element value, exactly as stored.
  public enum Value: Sendable, Hashable {
    /// A signed integer element (`I8` … `I64`).
    case integer(Int64)
    /// An unsigned integer or boolean element (`BOOL`, `U8` … `U64`).
    case unsignedInteger(UInt64)
    /// A floating-point element, exactly (every `F16`, `BF16` and `F32` value is a `Double`).
    case real(Double)

    /// The value as the nearest `Double`.
    public var doubleValue: Double {
      switch self {
      case .integer(let value): return Double(value)
      case .unsignedInteger(let value): return Double(value)
      case .real(let value): return value
      }
    }
  }

  /// The number of elements.
  public let count: Int
  /// The number of NaN elements.
  public let nanCount: Int
  /// The smallest element that is not NaN, exactly, or `nil` when there is none.
  public let smallest: Value?
  /// The largest element that is not NaN, exactly, or `nil` when there is none.
  public let largest: Value?
  /// The mean of the elements that are not NaN (accumulated in `Double`), or `nil` when there are none.
  public let mean: Double?

  /// The smallest element that is not NaN as a `Double`, or `nil` when there is none.
  public var minimum: Double? { smallest?.doubleValue }
  /// The largest element that is not NaN as a `Double`, or `nil` when there is none.
  public var maximum: Double? { largest?.doubleValue }

  /// Computes the statistics of `data`.
  ///
  /// - Parameter data: The tensor.
  /// - Throws: ``TensorFileError/unsupported(_:_:)`` for the 8-bit float types.
  /// - Complexity: O(elementCount), with a constant-size workspace.
  public init(of data: TensorData) throws {
    var accumulator = try Accumulator(dtype: data.dtype, subject: "\(data.dtype.rawValue) tensor")
    data.bytes.withUnsafeBytes { accumulator.add($0) }
    self = accumulator.statistics
  }

  /// Computes the statistics of the elements in `range` of `source`, reading `chunkByteCount` bytes at a
  /// time (rounded down to whole elements) into one reused buffer.
  ///
  /// - Parameters:
  ///   - dtype: The element type.
  ///   - range: The elements' absolute byte range, already checked to lie in the file.
  ///   - source: The file.
  ///   - byteSwapped: Whether the elements are stored big-endian.
  ///   - chunkByteCount: The most bytes read at once.
  /// - Complexity: O(range.count) time, O(chunkByteCount) memory.
  init(
    dtype: DType, bytesAt range: Range<Int>, of source: TensorFileBytes, byteSwapped: Bool, chunkByteCount: Int
  ) throws {
    var accumulator = try Accumulator(dtype: dtype, subject: source.path)
    let size = dtype.byteSize
    let chunk = max(size, chunkByteCount / size * size)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunk, range.count), alignment: 16)
    defer { buffer.deallocate() }
    for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
      let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(chunk, range.upperBound - start)])
      try source.read(into: part, at: start)
      if byteSwapped && size > 1 {
        for element in stride(from: 0, to: part.count, by: size) {
          for byte in 0..<(size / 2) { part.swapAt(element + byte, element + size - 1 - byte) }
        }
      }
      accumulator.add(UnsafeRawBufferPointer(part))
    }
    self = accumulator.statistics
  }

  private init(count: Int, nanCount: Int, smallest: Value?, largest: Value?, mean: Double?) {
    self.count = count
    self.nanCount = nanCount
    self.smallest = smallest
    self.largest = largest
    self.mean = mean
  }

  /// Running statistics over little-endian elements fed in pieces of whole elements.
  private struct Accumulator {
    let dtype: DType
    var count = 0
    var nanCount = 0
    var sum = 0.0
    var realRange = (Double.infinity, -Double.infinity)
    var signedRange = (Int64.max, Int64.min)
    var unsignedRange = (UInt64.max, UInt64.min)

    init(dtype: DType, subject: String) throws {
      guard dtype.isNumeric else {
        throw TensorFileError.unsupported(
          subject, "no statistics for \(dtype.rawValue) elements (8-bit floats are readable only as raw bytes)")
      }
      self.dtype = dtype
    }

    /// Adds the elements in `raw`.
    ///
    /// - Complexity: O(raw.count).
    mutating func add(_ raw: UnsafeRawBufferPointer) {
      count += raw.count / dtype.byteSize
      switch dtype {
      case .bool: (unsignedRange, sum) = Self.scan(raw, UInt8.self, unsignedRange, sum) { $0 != 0 ? 1 : 0 }
      case .uint8: (unsignedRange, sum) = Self.scan(raw, UInt8.self, unsignedRange, sum, UInt64.init)
      case .uint16: (unsignedRange, sum) = Self.scan(raw, UInt16.self, unsignedRange, sum, UInt64.init)
      case .uint32: (unsignedRange, sum) = Self.scan(raw, UInt32.self, unsignedRange, sum, UInt64.init)
      case .uint64: (unsignedRange, sum) = Self.scan(raw, UInt64.self, unsignedRange, sum) { $0 }
      case .int8: (signedRange, sum) = Self.scan(raw, Int8.self, signedRange, sum, Int64.init)
      case .int16: (signedRange, sum) = Self.scan(raw, Int16.self, signedRange, sum, Int64.init)
      case .int32: (signedRange, sum) = Self.scan(raw, Int32.self, signedRange, sum, Int64.init)
      case .int64: (signedRange, sum) = Self.scan(raw, Int64.self, signedRange, sum) { $0 }
      case .float16, .bfloat16, .float32, .float64: addReals(raw)
      case .float8E4M3, .float8E5M2: preconditionFailure("TensorStatistics: \(dtype.rawValue) was refused in init")
      }
    }

    /// The extremes and sum of `range` and `sum` extended by the integers in `raw`.
    private static func scan<Stored: FixedWidthInteger, Wide: FixedWidthInteger>(
      _ raw: UnsafeRawBufferPointer, _: Stored.Type, _ range: (Wide, Wide), _ sum: Double, _ widen: (Stored) -> Wide
    ) -> ((Wide, Wide), Double) {
      let size = MemoryLayout<Stored>.size
      var (low, high, total) = (range.0, range.1, sum)
      for i in 0..<(raw.count / size) {
        let value = widen(Stored(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: Stored.self)))
        low = Swift.min(low, value)
        high = Swift.max(high, value)
        total += Double(value)
      }
      return ((low, high), total)
    }

    private mutating func addReals(_ raw: UnsafeRawBufferPointer) {
      let elements = raw.count / dtype.byteSize
      var (low, high, total, nans) = (realRange.0, realRange.1, sum, nanCount)
      withUnsafeTemporaryAllocation(of: Double.self, capacity: 1024) { block in
        for start in stride(from: 0, to: elements, by: block.count) {
          let values = UnsafeMutableBufferPointer(rebasing: block[0..<Swift.min(block.count, elements - start)])
          ElementCodec.decode(raw, as: dtype, from: start, into: values)
          for x in values {
            if x.isNaN {
              nans += 1
            } else {
              low = Swift.min(low, x)
              high = Swift.max(high, x)
              total += x
            }
          }
        }
      }
      (realRange, sum, nanCount) = ((low, high), total, nans)
    }

    var statistics: TensorStatistics {
      let valid = count - nanCount
      guard valid > 0 else { return TensorStatistics(count: count, nanCount: nanCount, smallest: nil, largest: nil, mean: nil) }
      let extremes: (Value, Value)
      switch dtype {
      case .int8, .int16, .int32, .int64: extremes = (.integer(signedRange.0), .integer(signedRange.1))
      case .bool, .uint8, .uint16, .uint32, .uint64:
        extremes = (.unsignedInteger(unsignedRange.0), .unsignedInteger(unsignedRange.1))
      default: extremes = (.real(realRange.0), .real(realRange.1))
      }
      return TensorStatistics(
        count: count, nanCount: nanCount, smallest: extremes.0, largest: extremes.1, mean: sum / Double(valid))
    }
  }
}
