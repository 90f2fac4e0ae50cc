/// `y ← alpha·x + y` over `count` contiguous elements (BLAS `saxpy` / `daxpy`).
///
/// - Complexity: O(count).
@inlinable
public func axpy<Scalar: TensorScalar>(
  count: Int, alpha: Scalar, _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>
) {
  guard count > 0 else { return }
  Scalar.blasAxpy(count: count, alpha: alpha, x: x, y: y)
}

/// `x ← alpha·x` over `count` contiguous elements (BLAS `sscal` / `dscal`).
///
/// - Complexity: O(count).
@inlinable
public func scale<Scalar: TensorScalar>(count: Int, by alpha: Scalar, _ x: UnsafeMutablePointer<Scalar>) {
  guard count > 0 else { return }
  Scalar.blasScale(count: count, alpha: alpha, x: x)
}

extension Tensor {
  /// Adds `alpha · other` to this tensor in place (BLAS `axpy`); the shapes must agree.
  ///
  /// - Complexity: O(count).
  public mutating func add(_ other: Tensor, scaledBy alpha: Scalar = 1) {
    precondition(shape == other.shape, "Tensor.add: shapes \(shape) and \(other.shape) differ")
    let n = count
    other.storage.withUnsafeBufferPointer { x in
      storage.withUnsafeMutableBufferPointer { y in
        guard let xb = x.baseAddress, let yb = y.baseAddress else { return }
        axpy(count: n, alpha: alpha, xb, yb)
      }
    }
  }

  /// Multiplies every element by `alpha` in place (BLAS `scal`).
  ///
  /// - Complexity: O(count).
  public mutating func scale(by alpha: Scalar) {
    let n = count
    storage.withUnsafeMutableBufferPointer { x in
      guard let base = x.baseAddress else { return }
      TensorCore.scale(count: n, by: alpha, base)
    }
  }
}
