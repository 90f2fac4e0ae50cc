import TensorCore

extension TensorData {
  /// The floating-point element types a `Tensor` can be stored as.
  public static let floatingPointStorageTypes: [DType] = [.float16, .bfloat16, .float32, .float64]

  /// Converts the elements to a `Tensor` of `Float` or `Double`.
  ///
  /// Every numeric dtype converts: F16 through its bit pattern (``HalfPrecision``), BF16 through its bit pattern, integers by value
  /// (exact up to 2²⁴ for `Float`, 2⁵³ for `Double`, rounded to nearest beyond), booleans to 0 and 1.
  /// - Parameter type: The element type of the result.
  /// - Returns: A tensor of the same shape.
  /// - Throws: ``TensorFileError/unsupported(_:_:)`` for the 8-bit float types, which are readable only as
  ///   raw ``bytes``.
  /// - Complexity: O(elementCount).
  public func tensor<S: TensorScalar>(as type: S.Type = S.self) throws -> Tensor<S> {
    guard dtype.isNumeric else {
      throw TensorFileError.unsupported(
        "\(dtype.rawValue) tensor", "8-bit float elements are readable only as raw bytes, not converted")
    }
    // Calling the decoder with a concrete type lets it be specialized here; called generically from
    // another module it would run unspecialized, about 12 times slower (`structml bench files`).
    // (`unsafeBitCast` between identical array types; an `as?` array cast would copy element by element.)
    let scalars: [S]
    if S.self == Float.self {
      scalars = unsafeBitCast(decoded(as: Float.self), to: [S].self)
    } else if S.self == Double.self {
      scalars = unsafeBitCast(decoded(as: Double.self), to: [S].self)
    } else {
      scalars = decoded(as: S.self)
    }
    return Tensor(shape: shape, scalars: scalars)
  }

  private func decoded<T: BinaryFloatingPoint>(as type: T.Type) -> [T] {
    var scalars = [T](repeating: 0, count: elementCount)
    bytes.withUnsafeBytes { raw in
      scalars.withUnsafeMutableBufferPointer { output in
        ElementCodec.decode(raw, as: dtype, from: 0, into: output)
      }
    }
    return scalars
  }

  /// Stores a tensor's elements as a floating-point dtype.
  ///
  /// Conversions to F16 and BF16 round to nearest, ties to even (a `Double` is rounded once, not through
  /// `Float`).
  /// - Parameters:
  ///   - tensor: The tensor to store.
  ///   - dtype: `F32`, `F64`, `F16` or `BF16`; by default the tensor's own type.
  /// - Throws: ``TensorFileError/invalidTensor(_:_:)`` when `dtype` is not one of
  ///   ``floatingPointStorageTypes``.
  /// - Complexity: O(tensor.count).
  public init<S: TensorScalar>(_ tensor: Tensor<S>, as dtype: DType? = nil) throws {
    let storage = dtype ?? (S.self == Double.self ? .float64 : .float32)
    guard TensorData.floatingPointStorageTypes.contains(storage) else {
      throw TensorFileError.invalidTensor(
        "Tensor<\(S.self)>", "cannot be stored as \(storage.rawValue); use F32, F64, F16 or BF16")
    }
    self.init(unchecked: storage, shape: tensor.shape, bytes: ElementCodec.encode(tensor.scalars, as: storage))
  }
}
