import TensorCore

/// One stored tensor: its element type, its shape and its elements as raw little-endian bytes in
/// row-major (C) order.
///
/// This is what the readers return and the writers take. Convert to and from `Tensor` with
/// ``tensor(as:)`` and ``init(_:as:)``; the bytes stay exactly as stored, so a file read and written back is
/// bit-identical whatever its element type.
public struct TensorData: Sendable, Equatable {
  /// The element type.
  public let dtype: DType
  /// The extent of each axis, outermost first; `[]` for a scalar.
  public let shape: [Int]
  /// The elements, little-endian, row-major.
  public let bytes: [UInt8]

  /// Creates tensor data after checking that `bytes` holds exactly the elements `shape` describes.
  ///
  /// - Parameters:
  ///   - dtype: The element type.
  ///   - shape: The extents; each must be non-negative.
  ///   - bytes: `dtype.byteSize × product(shape)` bytes, little-endian, row-major.
  /// - Throws: ``TensorFileError/invalidTensor(_:_:)`` when the shape is invalid or the byte count is wrong.
  public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
    let byteCount = try TensorData.byteCount(dtype: dtype, shape: shape, subject: "tensor data")
    guard byteCount == bytes.count else {
      throw TensorFileError.invalidTensor(
        "tensor data", "shape \(shape) of \(dtype.rawValue) needs \(byteCount) bytes, got \(bytes.count)")
    }
    self.init(unchecked: dtype, shape: shape, bytes: bytes)
  }

  init(unchecked dtype: DType, shape: [Int], bytes: [UInt8]) {
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// The number of elements, the product of the extents.
  public var elementCount: Int { bytes.count / dtype.byteSize }

  /// The number of bytes `shape` needs for elements of `dtype`, checked for negative extents and overflow.
  ///
  /// - Parameters:
  ///   - dtype: The element type.
  ///   - shape: The extents.
  ///   - subject: Names the file or tensor in the error.
  /// - Returns: `dtype.byteSize × product(shape)`.
  /// - Throws: ``TensorFileError/invalidTensor(_:_:)`` for a negative extent or a count beyond `Int`.
  public static func byteCount(dtype: DType, shape: [Int], subject: String) throws -> Int {
    if let negative = shape.first(where: { $0 < 0 }) {
      throw TensorFileError.invalidTensor(subject, "shape \(shape) has the negative extent \(negative)")
    }
    guard let count = Tensor<Float>.checkedElementCount(of: shape) else {
      throw TensorFileError.invalidTensor(subject, "shape \(shape) has more elements than a 64-bit count holds")
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow else {
      throw TensorFileError.invalidTensor(subject, "shape \(shape) of \(dtype.rawValue) needs more bytes than Int holds")
    }
    return bytes
  }
}
