import Foundation
import TensorCore
import TestSupport
import Testing

@testable import TensorFiles

/// Statistics read from files a chunk at a time, against a naive pass over the values the test wrote.
@Suite("Chunked statistics equal a naive computation")
struct StatisticsTests {
  /// Minimum, maximum and mean (a left-to-right `Double` sum) of the values that are not NaN, and the NaN
  /// count: the textbook definition, computed on the test's own values.
  static func naive(_ values: [Double]) -> (min: Double?, max: Double?, mean: Double?, nans: Int) {
    let valid = values.filter { !$0.isNaN }
    var sum = 0.0
    for x in valid { sum += x }
    return (valid.min(), valid.max(), valid.isEmpty ? nil : sum / Double(valid.count), values.count - valid.count)
  }

  static func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }
  }

  /// Tensors of every kind of element, with NaNs, infinities, signed zeros and integer extremes.
  static func tensors() throws -> [(name: String, data: TensorData, values: [Double])] {
    var generator = SeededGenerator(seed: 8)
    let count = 1000
    var floats = (0..<count).map { _ in Float.random(in: -1e6...1e6, using: &generator) }
    floats[3] = .nan
    floats[500] = .infinity
    floats[999] = -0.0
    let halfBits = (0..<count).map { _ in UInt16.random(in: 0...UInt16.max, using: &generator) }
    let brainBits = (0..<count).map { _ in UInt16.random(in: 0...UInt16.max, using: &generator) }
    let signed: [Int64] = [.min, .max, (1 << 53) + 1, -((1 << 53) + 1)] + (0..<count).map { _ in Int64.random(in: -1000...1000, using: &generator) }
    let unsigned: [UInt64] = [.max, (1 << 63) + 1, 0] + (0..<count).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) }
    let small = (0..<count).map { _ in Int8.random(in: .min ... .max, using: &generator) }
    let flags = (0..<count).map { _ in UInt8.random(in: 0...3, using: &generator) }
    let doubles = (0..<count).map { i in i == 10 ? -Double.infinity : Double.random(in: -1...1, using: &generator) * 1e300 }
    return [
      ("f32", try TensorData(Tensor(shape: [count], scalars: floats)), floats.map(Double.init)),
      ("f64", try TensorData(Tensor(shape: [count], scalars: doubles)), doubles),
      // F16 and BF16 values by the format's definition: Swift's Float16, and the upper half of a Float.
      ("f16", try TensorData(dtype: .float16, shape: [count], bytes: bytes(halfBits)), halfBits.map { Double(Float16(bitPattern: $0)) }),
      ("bf16", try TensorData(dtype: .bfloat16, shape: [count], bytes: bytes(brainBits)), brainBits.map { Double(Float(bitPattern: UInt32($0) << 16)) }),
      ("i64", try TensorData(dtype: .int64, shape: [signed.count], bytes: bytes(signed)), signed.map(Double.init)),
      ("u64", try TensorData(dtype: .uint64, shape: [unsigned.count], bytes: bytes(unsigned)), unsigned.map { Double($0) }),
      ("i8", try TensorData(dtype: .int8, shape: [count], bytes: bytes(small)), small.map(Double.init)),
      ("bool", try TensorData(dtype: .bool, shape: [count], bytes: flags), flags.map { $0 != 0 ? 1 : 0 }),
    ]
  }

  @Test func chunkedStatisticsOfEveryKindOfElementAreExact() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("all.safetensors")
    let tensors = try Self.tensors()
    try SafetensorsWriter.write(tensors.map { ($0.name, $0.data) }, to: url)
    let file = try SafetensorsFile(contentsOf: url)
    for (name, data, values) in tensors {
      let expected = Self.naive(values)
      // Chunks of one element, of an odd number of bytes (rounded down to whole elements), and the default.
      for chunk in [data.dtype.byteSize, 13 * data.dtype.byteSize + 1, TensorStatistics.chunkByteCount] {
        let statistics = try file.statistics(named: name, chunkByteCount: chunk)
        #expect(statistics.count == values.count, "\(name)")
        #expect(statistics.nanCount == expected.nans, "\(name)")
        #expect(statistics.minimum == expected.min && statistics.maximum == expected.max, "\(name), chunk \(chunk)")
        #expect(statistics.mean == expected.mean, "\(name), chunk \(chunk)")
      }
    }
  }

  @Test func integerExtremesAreKeptExactly() throws {
    let file = try SafetensorsFile(
      bytes: {
        let data = Self.bytes([Int64.min, Int64.max, 3]) + Self.bytes([UInt64.max, (1 << 53) + 1])
        return MalformedTensorFiles.safetensors(
          "{\"i\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]},\"u\":{\"dtype\":\"U64\",\"shape\":[2],\"data_offsets\":[24,40]}}",
          data: data)
      }())
    let signed = try file.statistics(named: "i")
    #expect(signed.smallest == .integer(.min) && signed.largest == .integer(.max))
    let unsigned = try file.statistics(named: "u")
    #expect(unsigned.smallest == .unsignedInteger((1 << 53) + 1) && unsigned.largest == .unsignedInteger(.max))
    // As a Double, 2^53 + 1 rounds to 2^53: the exact value is what keeps it.
    #expect(unsigned.minimum == 0x1p53)
  }

  /// A tensor of 16 MiB + 4 KiB spans two default chunks; the result equals the naive pass exactly.
  @Test func aTensorSpanningSeveralDefaultChunks() throws {
    let count = TensorStatistics.chunkByteCount / 4 + 1024
    var values = (0..<count).map { Float($0 % 1001) * 0.01 - 3 }
    values[count - 1] = 7  // the maximum sits in the last chunk, the minimum in the first
    values[0] = -4
    values[TensorStatistics.chunkByteCount / 4] = .nan  // first element of the second chunk
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("big.safetensors")
    let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[\(count)],\"data_offsets\":[0,\(4 * count)]}}"
    try Data(MalformedTensorFiles.safetensors(header, data: values.withUnsafeBytes(Array.init))).write(to: url)
    let statistics = try SafetensorsFile(contentsOf: url).statistics(named: "w")
    var sum = 0.0
    for x in values where !x.isNaN { sum += Double(x) }
    #expect(statistics.count == count && statistics.nanCount == 1)
    #expect(statistics.minimum == -4 && statistics.maximum == 7)
    #expect(statistics.mean == sum / Double(count - 1))
  }

  @Test func bigEndianAndFortranOrderNPYStatistics() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    for name in ["npy_bigendian_f4.npy", "npy_bigendian_i2.npy", "npy_fortran_f8.npy"] {
      let file = try NPYFile(contentsOf: try fixture(name))
      // The fixture formula (i - 7) * 0.25 or i - 7 over 24 elements; column-major storage only permutes them.
      let values = (0..<24).map { fixtureValue($0, file.header.dtype) }
      let expected = Self.naive(values)
      for chunk in [2, 10, TensorStatistics.chunkByteCount] {
        let statistics = try file.statistics(chunkByteCount: chunk)
        #expect(statistics.minimum == expected.min && statistics.maximum == expected.max, "\(name)")
        #expect(statistics.mean == expected.mean && statistics.count == 24, "\(name)")
      }
    }
  }

  @Test func eightBitFloatsHaveNoStatistics() throws {
    let file = try SafetensorsFile(
      bytes: MalformedTensorFiles.safetensors("{\"s\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", data: [1, 2]),
      name: "f8.safetensors")
    #expect(
      throws: TensorFileError.unsupported(
        "f8.safetensors", "no statistics for F8_E4M3 elements (8-bit floats are readable only as raw bytes)")
    ) { try file.statistics(named: "s") }
  }
}
