/// A dense, contiguous, row-major N-dimensional array with value semantics.
///
/// Storage is a Swift array, so copies are cheap until one side is mutated (copy-on-write). Shapes are
/// checked on every operation that combines tensors; a mismatch is a programmer error and stops with a
/// message naming both shapes. Data that come from files or users are validated before a tensor is made
/// (see `TensorFiles`).
///
/// ```swift
/// var x = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// x[1, 2] = 0
/// let y = x.reshaped([3, 2])
/// ```
public struct Tensor<Scalar: TensorScalar>: Sendable, Equatable {
  /// The extent of each axis, outermost first.
  public private(set) var shape: [Int]
  /// The elements in row-major order, stored here.
  @usableFromInline var storage: [Scalar]

  /// The elements in row-major order.
  ///
  /// Mutation happens in place (no copy of the array unless it is shared); the element count must not change.
  public var scalars: [Scalar] {
    @inlinable get { storage }
    @inlinable _modify {
      let count = storage.count
      yield &storage
      precondition(
        storage.count == count,
        "Tensor.scalars: replacing \(count) elements with \(storage.count) would break shape \(shape)")
    }
    @inlinable set {
      precondition(
        newValue.count == storage.count,
        "Tensor.scalars: replacing \(storage.count) elements with \(newValue.count) would break shape \(shape)")
      storage = newValue
    }
  }

  /// Creates a tensor of the given shape from its elements in row-major order.
  public init(shape: [Int], scalars: [Scalar]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
    let count = Tensor.elementCount(of: shape)
    precondition(
      count == scalars.count,
      "Tensor: shape \(shape) holds \(count) elements but \(scalars.count) were given")
    self.shape = shape
    self.storage = scalars
  }

  /// Creates a tensor of the given shape with every element equal to `value`.
  public init(repeating value: Scalar, shape: [Int]) {
    self.init(shape: shape, scalars: Array(repeating: value, count: Tensor.elementCount(of: shape)))
  }

  /// Creates a tensor of zeros.
  public init(zeros shape: [Int]) {
    self.init(repeating: 0, shape: shape)
  }

  /// Creates a tensor whose elements are computed from their flat row-major index.
  public init(shape: [Int], generator: (Int) -> Scalar) {
    let count = Tensor.elementCount(of: shape)
    self.init(shape: shape, scalars: (0..<count).map(generator))
  }

  /// Creates an `n × n` identity matrix.
  public init(identity n: Int) {
    var scalars = [Scalar](repeating: 0, count: n * n)
    for i in 0..<n { scalars[i * n + i] = 1 }
    self.init(shape: [n, n], scalars: scalars)
  }

  /// The number of elements, the product of the extents.
  public var count: Int { scalars.count }
  /// The number of axes.
  public var rank: Int { shape.count }

  /// The product of the extents of `shape`, or `nil` when it overflows `Int`.
  public static func checkedElementCount(of shape: [Int]) -> Int? {
    var count = 1
    for extent in shape {
      guard extent >= 0 else { return nil }
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      if overflow { return nil }
      count = product
    }
    return count
  }

  static func elementCount(of shape: [Int]) -> Int {
    guard let count = checkedElementCount(of: shape) else {
      preconditionFailure("Tensor: shape \(shape) has a negative extent or more elements than Int can count")
    }
    return count
  }

  /// The flat row-major offset of a multi-index.
  @inlinable
  public func offset(of index: [Int]) -> Int {
    precondition(index.count == shape.count, "Tensor: index \(index) does not match shape \(shape)")
    var offset = 0
    for (axis, i) in index.enumerated() {
      precondition(i >= 0 && i < shape[axis], "Tensor: index \(index) out of range for shape \(shape)")
      offset = offset * shape[axis] + i
    }
    return offset
  }

  /// Reads or writes one element by its multi-index.
  public subscript(_ index: Int...) -> Scalar {
    get { scalars[offset(of: index)] }
    set { scalars[offset(of: index)] = newValue }
  }

  /// The same elements under another shape with the same element count.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    precondition(
      Tensor.checkedElementCount(of: newShape) == count,
      "Tensor.reshaped: cannot view shape \(shape) as \(newShape)")
    return Tensor(shape: newShape, scalars: scalars)
  }

  /// The number of rows of a matrix (the first extent).
  public var rows: Int {
    precondition(rank == 2, "Tensor.rows: shape \(shape) is not a matrix")
    return shape[0]
  }

  /// The number of columns of a matrix (the second extent).
  public var columns: Int {
    precondition(rank == 2, "Tensor.columns: shape \(shape) is not a matrix")
    return shape[1]
  }

  /// The transpose of a matrix.
  ///
  /// - Complexity: O(rows·columns), blocked for cache use.
  public func transposed() -> Tensor {
    let (m, n) = (rows, columns)
    var result = [Scalar](repeating: 0, count: m * n)
    let tile = 32
    scalars.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for i0 in stride(from: 0, to: m, by: tile) {
          for j0 in stride(from: 0, to: n, by: tile) {
            for i in i0..<min(i0 + tile, m) {
              for j in j0..<min(j0 + tile, n) { target[j * m + i] = source[i * n + j] }
            }
          }
        }
      }
    }
    return Tensor(shape: [n, m], scalars: result)
  }

  /// Applies `transform` to every element.
  public func map(_ transform: (Scalar) -> Scalar) -> Tensor {
    Tensor(shape: shape, scalars: scalars.map(transform))
  }

  /// Converts the elements to another floating-point type.
  public func converted<Other: TensorScalar>(to type: Other.Type = Other.self) -> Tensor<Other> {
    Tensor<Other>(shape: shape, scalars: scalars.map { Other($0) })
  }

  /// The Frobenius (Euclidean) norm of all elements, accumulated in `Double`.
  public var frobeniusNorm: Double {
    var sum = 0.0
    for x in scalars { sum += Double(x) * Double(x) }
    return sum.squareRoot()
  }

  /// The largest absolute elementwise difference to another tensor of the same shape.
  public func maxAbsDifference(_ other: Tensor) -> Double {
    precondition(shape == other.shape, "Tensor.maxAbsDifference: shapes \(shape) and \(other.shape) differ")
    var worst = 0.0
    for (a, b) in zip(scalars, other.scalars) { worst = Swift.max(worst, abs(Double(a) - Double(b))) }
    return worst
  }
}

// MARK: - Elementwise arithmetic

extension Tensor {
  private static func combine(
    _ lhs: Tensor, _ rhs: Tensor, _ name: String, _ op: (Scalar, Scalar) -> Scalar
  ) -> Tensor {
    precondition(lhs.shape == rhs.shape, "Tensor \(name): shapes \(lhs.shape) and \(rhs.shape) differ")
    return Tensor(shape: lhs.shape, scalars: zip(lhs.scalars, rhs.scalars).map(op))
  }

  /// Elementwise sum of two tensors of the same shape.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { combine(lhs, rhs, "+", +) }
  /// Elementwise difference of two tensors of the same shape.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { combine(lhs, rhs, "-", -) }
  /// Elementwise (Hadamard) product of two tensors of the same shape.
  public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { combine(lhs, rhs, "*", *) }
  /// Every element multiplied by a scalar.
  public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
}
