/// What a file says about one tensor, without its elements: name, element type, shape and size.
public struct TensorInfo: Sendable, Equatable {
  /// The tensor's name (for `.npy` files, which hold one unnamed array, the file name without extension).
  public let name: String
  /// The element type.
  public let dtype: DType
  /// The extent of each axis, outermost first.
  public let shape: [Int]
  /// The size of the elements in bytes, `dtype.byteSize × product(shape)`.
  public let byteCount: Int

  /// The number of elements.
  public var elementCount: Int { byteCount / dtype.byteSize }
}
