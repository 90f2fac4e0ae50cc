#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// `y ← alpha·x + y` over `count` contiguous elements (BLAS `saxpy`).
///
/// - Complexity: O(count).
@inlinable
public func axpy(count: Int, alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
  guard count > 0 else { return }
  cblas_saxpy(blasInt(count), alpha, x, 1, y, 1)
}

/// `y ← alpha·x + y` over `count` contiguous elements (BLAS `daxpy`).
///
/// - Complexity: O(count).
@inlinable
public func axpy(count: Int, alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
  guard count > 0 else { return }
  cblas_daxpy(blasInt(count), alpha, x, 1, y, 1)
}

/// `x ← alpha·x` over `count` contiguous elements (BLAS `sscal`).
///
/// - Complexity: O(count).
@inlinable
public func scale(count: Int, by alpha: Float, _ x: UnsafeMutablePointer<Float>) {
  guard count > 0 else { return }
  cblas_sscal(blasInt(count), alpha, x, 1)
}

/// `x ← alpha·x` over `count` contiguous elements (BLAS `dscal`).
///
/// - Complexity: O(count).
@inlinable
public func scale(count: Int, by alpha: Double, _ x: UnsafeMutablePointer<Double>) {
  guard count > 0 else { return }
  cblas_dscal(blasInt(count), alpha, x, 1)
}

extension Tensor where Scalar == Float {
  /// Adds `alpha · other` to this tensor in place (`saxpy`); the shapes must agree.
  ///
  /// - Complexity: O(count).
  public mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
    precondition(shape == other.shape, "Tensor.add: shapes \(shape) and \(other.shape) differ")
    let n = count
    other.storage.withUnsafeBufferPointer { x in
      storage.withUnsafeMutableBufferPointer { y in
        guard let xb = x.baseAddress, let yb = y.baseAddress else { return }
        axpy(count: n, alpha: alpha, xb, yb)
      }
    }
  }

  /// Multiplies every element by `alpha` in place (`sscal`).
  ///
  /// - Complexity: O(count).
  public mutating func scale(by alpha: Float) {
    let n = count
    storage.withUnsafeMutableBufferPointer { x in
      guard let base = x.baseAddress else { return }
      TensorCore.scale(count: n, by: alpha, base)
    }
  }
}

extension Tensor where Scalar == Double {
  /// Adds `alpha · other` to this tensor in place (`daxpy`); the shapes must agree.
  ///
  /// - Complexity: O(count).
  public mutating func add(_ other: Tensor, scaledBy alpha: Double = 1) {
    precondition(shape == other.shape, "Tensor.add: shapes \(shape) and \(other.shape) differ")
    let n = count
    other.storage.withUnsafeBufferPointer { x in
      storage.withUnsafeMutableBufferPointer { y in
        guard let xb = x.baseAddress, let yb = y.baseAddress else { return }
        axpy(count: n, alpha: alpha, xb, yb)
      }
    }
  }

  /// Multiplies every element by `alpha` in place (`dscal`).
  ///
  /// - Complexity: O(count).
  public mutating func scale(by alpha: Double) {
    let n = count
    storage.withUnsafeMutableBufferPointer { x in
      guard let base = x.baseAddress else { return }
      TensorCore.scale(count: n, by: alpha, base)
    }
  }
}
