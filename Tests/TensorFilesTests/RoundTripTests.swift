import Foundation
import TensorCore
import TestSupport
import Testing

@testable import TensorFiles

@Suite("Round trips through .npy and .safetensors")
struct RoundTripTests {
  /// Distinct, non-trivial bytes for `count` elements of `dtype` (any bit pattern is a valid element).
  static func sampleData(_ dtype: DType, shape: [Int]) throws -> TensorData {
    let count = shape.reduce(1, *) * dtype.byteSize
    let bytes = (0..<count).map { i in dtype == .bool ? UInt8(i % 2) : UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
    return try TensorData(dtype: dtype, shape: shape, bytes: bytes)
  }

  @Test(arguments: DType.allCases)
  func safetensorsKeepsEveryDTypeBitForBit(dtype: DType) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let tensors = [
      ("matrix", try Self.sampleData(dtype, shape: [3, 5])), ("scalar", try Self.sampleData(dtype, shape: [])),
      ("empty", try Self.sampleData(dtype, shape: [2, 0])),
    ]
    let url = folder.file("t.safetensors")
    try SafetensorsWriter.write(tensors, metadata: ["format": "pt", "quote\"d": "line\nbreak"], to: url)
    let file = try SafetensorsFile(contentsOf: url)
    #expect(file.metadata == ["format": "pt", "quote\"d": "line\nbreak"])
    for (name, data) in tensors { #expect(try file.tensorData(named: name) == data) }
    let headerLength = try Data(contentsOf: url).prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect(headerLength % 8 == 0)
  }

  @Test(arguments: DType.allCases.filter { $0.npyDescr != nil })
  func npyKeepsEveryNumPyDTypeBitForBit(dtype: DType) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    for shape in [[2, 3, 4], [7], [], [0, 5]] {
      let data = try Self.sampleData(dtype, shape: shape)
      let url = folder.file("t.npy")
      try NPYFile.write(data, to: url)
      #expect(try NPYFile.read(url) == data)
    }
  }

  @Test func npyRefusesTypesNumPyCannotHold() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("t.npy")
    #expect(throws: TensorFileError.unsupported(url.path, "NumPy has no type for BF16; use .safetensors")) {
      try NPYFile.write(try Self.sampleData(.bfloat16, shape: [2]), to: url)
    }
    #expect(try folder.contents().isEmpty)
  }

  @Test func longHeadersSwitchToVersionTwo() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let shape = [Int](repeating: 1, count: 22_000)
    let url = folder.file("deep.npy")
    try NPYFile.write(try Self.sampleData(.float32, shape: shape), to: url)
    let file = try NPYFile(contentsOf: url)
    #expect(file.header.version == (2, 0) && file.header.shape == shape && file.header.dataOffset % 64 == 0)
  }

  @Test func floatTensorsConvertThroughEveryStorageType() throws {
    var generator = SeededGenerator(seed: 11)
    let tensor = Tensor<Double>.normal(shape: [4, 7], using: &generator)
    #expect(try TensorData(tensor).dtype == .float64)
    #expect(try TensorData(tensor).tensor(as: Double.self) == tensor)
    #expect(try TensorData(tensor.converted(to: Float.self)).dtype == .float32)
    #expect(try TensorData(tensor, as: .float32).tensor(as: Float.self) == tensor.converted(to: Float.self))
    let half = try TensorData(tensor, as: .float16).tensor(as: Double.self)
    #expect(half.scalars == tensor.scalars.map { Double(Float16($0)) })
    let brain = try TensorData(tensor, as: .bfloat16).tensor(as: Double.self)
    // bfloat16 keeps 8 significant bits: relative rounding error at most 2^-8.
    #expect(zip(brain.scalars, tensor.scalars).allSatisfy { abs($0 - $1) <= abs($1) * 0x1p-8 })
    #expect(throws: TensorFileError.self) { try TensorData(tensor, as: .int32) }
  }

  @Test func bfloat16RoundsDoublesOnce() {
    // 1 + 2^-8 + 2^-30 lies just above the tie between two bfloat16 neighbours; rounding through Float
    // (to 1 + 2^-8, the tie) and then to even would give 1.0, rounding once gives 1 + 2^-7.
    #expect(BFloat16.bits(1 + 0x1p-8 + 0x1p-30) == 0x3F81)
    #expect(BFloat16.bits(Float(1 + 0x1p-8 + 0x1p-30)) == 0x3F80)
    #expect(BFloat16.bits(Double.nan) & 0x7FC0 == 0x7FC0)
    #expect(BFloat16.bits(-Float.infinity) == 0xFF80)
    #expect(BFloat16.bits(Float.greatestFiniteMagnitude) == 0x7F80)
  }

  @Test func tensorDataChecksItsByteCount() {
    #expect(throws: TensorFileError.invalidTensor("tensor data", "shape [2, 3] of F32 needs 24 bytes, got 20")) {
      try TensorData(dtype: .float32, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 20))
    }
    #expect(throws: TensorFileError.self) { try TensorData(dtype: .float32, shape: [-1], bytes: []) }
  }

  @Test func eightBitFloatsAreRawOnly() throws {
    let data = try TensorData(dtype: .float8E4M3, shape: [2], bytes: [0x38, 0x40])
    #expect(throws: TensorFileError.self) { try data.tensor(as: Float.self) }
    #expect(throws: TensorFileError.self) { try TensorStatistics(of: data) }
  }

  @Test func statisticsSkipNaNAndSpanBlocks() throws {
    var scalars = (0..<3000).map { Float($0) - 1000 }
    scalars[5] = .nan
    scalars[2500] = .nan
    let data = try TensorData(Tensor(shape: [3000], scalars: scalars))
    let statistics = try TensorStatistics(of: data)
    let valid = scalars.filter { !$0.isNaN }.map(Double.init)
    #expect(statistics.count == 3000 && statistics.nanCount == 2)
    #expect(statistics.minimum == -1000 && statistics.maximum == 1999)
    #expect(statistics.mean == valid.reduce(0, +) / Double(valid.count))
    let empty = try TensorStatistics(of: try TensorData(dtype: .int8, shape: [0], bytes: []))
    #expect(empty.count == 0 && empty.minimum == nil && empty.mean == nil)
  }

  @Test func dtypeNamesAndNumPyDescrs() {
    #expect(DType.allCases.map(\.rawValue) == [
      "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2",
    ])
    #expect(DType.parse(npyDescr: "<f4")! == (.float32, false))
    #expect(DType.parse(npyDescr: ">i8")! == (.int64, true))
    #expect(DType.parse(npyDescr: ">u1")! == (.uint8, false))
    #expect(DType.parse(npyDescr: "|b1")! == (.bool, false))
    #expect(DType.parse(npyDescr: "|f4") == nil && DType.parse(npyDescr: "<c8") == nil && DType.parse(npyDescr: "f4") == nil)
  }
}
