import Foundation
import TensorCore
import TestSupport
import Testing

@testable import TensorFiles

@Suite("Reading files written by NumPy and the safetensors package")
struct FixtureTests {
  static let npyTypes: [(String, DType)] = [
    ("f2", .float16), ("f4", .float32), ("f8", .float64), ("i1", .int8), ("i2", .int16), ("i4", .int32),
    ("i8", .int64), ("u1", .uint8), ("u2", .uint16), ("u4", .uint32), ("u8", .uint64), ("b1", .bool),
  ]

  @Test(arguments: npyTypes)
  func npyOfEveryTypeHoldsTheFormulaValues(suffix: String, dtype: DType) throws {
    let file = try NPYFile(contentsOf: try fixture("npy_\(suffix).npy"))
    #expect(file.header.dtype == dtype)
    #expect(file.header.shape == [2, 3, 4])
    #expect(file.header.version == (1, 0) && file.header.dataOffset % 64 == 0)
    #expect(file.info.name == "npy_\(suffix)" && file.info.byteCount == 24 * dtype.byteSize)
    let tensor = try file.tensorData().tensor(as: Double.self)
    #expect(tensor.shape == [2, 3, 4])
    #expect(tensor.scalars == (0..<24).map { fixtureValue($0, dtype) })
  }

  /// `NPYFile.write` lays files out byte for byte as `numpy.save` does (header text, growth room, padding).
  @Test(arguments: npyTypes.map { "npy_\($0.0).npy" } + ["npy_scalar_f8.npy", "npy_vector_i4.npy", "npy_empty_f4.npy"])
  func writtenFilesAreByteIdenticalToNumPys(name: String) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let original = try fixture(name)
    try NPYFile.write(try NPYFile.read(original), to: folder.file(name))
    #expect(try Data(contentsOf: folder.file(name)) == Data(contentsOf: original))
  }

  @Test func scalarVectorAndEmptyArrays() throws {
    let scalar = try NPYFile.read(try fixture("npy_scalar_f8.npy"))
    #expect(scalar.shape == [])
    #expect(try scalar.tensor(as: Double.self).scalars == [3.5])
    let vector = try NPYFile.read(try fixture("npy_vector_i4.npy"))
    #expect(vector.shape == [5])
    #expect(try vector.tensor(as: Float.self).scalars == [-7, -6, -5, -4, -3])
    let empty = try NPYFile.read(try fixture("npy_empty_f4.npy"))
    #expect(empty.shape == [0, 3] && empty.bytes.isEmpty)
  }

  @Test func versionTwoAndThreeHeaders() throws {
    for (name, major) in [("npy_v2_f4.npy", UInt8(2)), ("npy_v3_f4.npy", UInt8(3))] {
      let file = try NPYFile(contentsOf: try fixture(name))
      #expect(file.header.version == (major, 0))
      #expect(try file.tensorData().tensor(as: Float.self).scalars == (0..<24).map { Float($0 - 7) * 0.25 })
    }
  }

  @Test func fortranOrderIsTransposedToRowMajor() throws {
    let file = try NPYFile(contentsOf: try fixture("npy_fortran_f8.npy"))
    #expect(file.header.isFortranOrder)
    let tensor = try file.tensorData().tensor(as: Double.self)
    #expect(tensor.shape == [2, 3, 4])
    #expect(tensor.scalars == (0..<24).map { fixtureValue($0, .float64) })
  }

  @Test func bigEndianDataAreByteSwapped() throws {
    for (name, dtype) in [("npy_bigendian_f4.npy", DType.float32), ("npy_bigendian_i2.npy", .int16)] {
      let file = try NPYFile(contentsOf: try fixture(name))
      #expect(file.header.isBigEndian && file.header.dtype == dtype)
      #expect(try file.tensorData().tensor(as: Double.self).scalars == (0..<24).map { fixtureValue($0, dtype) })
    }
  }

  @Test func integerExtremesSurviveExactly() throws {
    let signed = try NPYFile.read(try fixture("npy_extremes_i8.npy"))
    let signedValues = signed.bytes.withUnsafeBytes { raw in (0..<4).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) } }
    #expect(signedValues == [.min, .max, 0, 1])
    #expect(try signed.tensor(as: Double.self).scalars == [-0x1p63, 0x1p63, 0, 1])
    let unsigned = try NPYFile.read(try fixture("npy_extremes_u8.npy"))
    #expect(try unsigned.tensor(as: Double.self).scalars == [0, 0x1p64, 1])
  }

  @Test func safetensorsOfEveryNumPyTypeWithMetadata() throws {
    let file = try SafetensorsFile(contentsOf: try fixture("all_dtypes.safetensors"))
    #expect(file.metadata == ["format": "np", "note": "fixture"])
    let expected: [DType] = [.bool, .uint8, .int8, .int16, .uint16, .float16, .int32, .uint32, .float32, .float64, .int64, .uint64]
    #expect(Set(file.names) == Set(expected.map { $0.rawValue.lowercased() } + ["scalar", "empty"]))
    for dtype in expected {
      let name = dtype.rawValue.lowercased()
      let info = try file.info(named: name)
      #expect(info.dtype == dtype && info.shape == [2, 3] && info.byteCount == 6 * dtype.byteSize)
      #expect(try file.tensorData(named: name).tensor(as: Double.self).scalars == (0..<6).map { fixtureValue($0, dtype) })
    }
    #expect(try file.tensorData(named: "scalar").tensor(as: Double.self).scalars == [2.5])
    #expect(try file.tensorData(named: "empty").shape == [0, 4])
    #expect(throws: TensorFileError.missingTensor(file.url.path, "nope")) { try file.tensorData(named: "nope") }
  }

  /// The values `make_fixtures.py` recorded from PyTorch and exact rational rounding.
  struct BFloat16Expectations: Decodable {
    let sourceF32Bits: [UInt32]
    let roundedBf16Bits: [UInt16]
    let decodedF32Bits: [UInt32]
    let doubleBits: [UInt64]
    let doubleRoundedBf16Bits: [UInt16]
  }

  static func bfloat16Expectations() throws -> BFloat16Expectations {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(BFloat16Expectations.self, from: Data(contentsOf: try fixture("bf16_expected.json")))
  }

  /// BF16 written by PyTorch and safetensors: the library reads torch's bits, decodes them to torch's
  /// float32 values, and rounds the float32 sources to torch's bits.
  @Test func bfloat16MatchesPyTorch() throws {
    let expected = try Self.bfloat16Expectations()
    let file = try SafetensorsFile(contentsOf: try fixture("bf16.safetensors"))
    #expect(file.metadata == ["format": "pt"])
    let rounded = try file.tensorData(named: "rounded")
    #expect(rounded.dtype == .bfloat16 && rounded.shape == [expected.roundedBf16Bits.count])
    let bits = rounded.bytes.withUnsafeBytes { raw in
      (0..<rounded.elementCount).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
    }
    #expect(bits == expected.roundedBf16Bits)
    let source = try file.tensorData(named: "source").tensor(as: Float.self)
    #expect(source.scalars.map(\.bitPattern) == expected.sourceF32Bits)
    #expect(try rounded.tensor(as: Float.self).scalars.map(\.bitPattern) == expected.decodedF32Bits)
    #expect(try TensorData(source, as: .bfloat16) == rounded)
    let mismatches = zip(source.scalars, expected.roundedBf16Bits).filter { BFloat16.bits($0) != $1 }
    #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
  }

  /// Doubles round to bfloat16 once, as exact rational rounding in the fixture script does.
  @Test func bfloat16RoundsDoublesLikeExactArithmetic() throws {
    let expected = try Self.bfloat16Expectations()
    let doubles = expected.doubleBits.map(Double.init(bitPattern:))
    #expect(doubles.map(BFloat16.bits) == expected.doubleRoundedBf16Bits)
    let stored = try TensorData(Tensor(shape: [doubles.count], scalars: doubles), as: .bfloat16)
    #expect(stored.bytes == expected.doubleRoundedBf16Bits.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
  }
}
