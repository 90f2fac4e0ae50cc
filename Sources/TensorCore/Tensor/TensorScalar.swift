/// A floating-point element type that the numeric kernels support: `Float` or `Double`.
///
/// The protocol carries the element-type–specific entry points into the BLAS/LAPACK back end, so that
/// generic code such as ``gemm(_:_:_:transposeA:transposeB:alpha:beta:)`` dispatches to `sgemm` or
/// `dgemm` without runtime casts.
public protocol TensorScalar: BinaryFloatingPoint, Codable, Sendable
where Self.RawSignificand: FixedWidthInteger {
  /// A short name of the type as used in file formats and messages (`"F32"`, `"F64"`).
  static var dtypeName: String { get }

  /// Computes `C = alpha * op(A) * op(B) + beta * C` on raw row-major matrices.
  ///
  /// - Complexity: O(m·n·k).
  static func blasGemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// `sqrt`, `exp`, `log` and `pow` for the element type, as the C library defines them.
  static func squareRoot(_ x: Self) -> Self
  static func exponential(_ x: Self) -> Self
  static func logarithm(_ x: Self) -> Self
  static func power(_ x: Self, _ y: Self) -> Self
  static func cosine(_ x: Self) -> Self
  static func sine(_ x: Self) -> Self
  static func hyperbolicTangent(_ x: Self) -> Self
}
