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

  /// Computes `y ← alpha·x + y` over `count` contiguous elements (BLAS `axpy`).
  ///
  /// - Complexity: O(count).
  static func blasAxpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)

  /// Computes `x ← alpha·x` over `count` contiguous elements (BLAS `scal`).
  ///
  /// - Complexity: O(count).
  static func blasScale(count: Int, alpha: Self, x: UnsafeMutablePointer<Self>)

  /// `sqrt`, `exp`, `log` and `pow` for the element type, as the C library defines them.
  static func squareRoot(_ x: Self) -> Self
  static func exponential(_ x: Self) -> Self
  static func logarithm(_ x: Self) -> Self
  static func power(_ x: Self, _ y: Self) -> Self
  static func cosine(_ x: Self) -> Self
  static func sine(_ x: Self) -> Self
  static func hyperbolicTangent(_ x: Self) -> Self

  // MARK: LAPACK back end (row-major matrices; each returns LAPACK's `info`, 0 on success)

  /// Thin SVD by divide and conquer (`?gesdd`, `jobz = 'S'`) of the `m × n` matrix `a`, which is overwritten;
  /// `u` receives `m × k`, `vt` receives `k × n`, `singularValues` receives `k = min(m, n)` values.
  static func lapackDivideAndConquerSVD(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, singularValues: UnsafeMutablePointer<Self>,
    u: UnsafeMutablePointer<Self>, vt: UnsafeMutablePointer<Self>) -> Int
  /// Thin SVD by QR iteration (`?gesvd`, `jobu = jobvt = 'S'`), the fallback when `?gesdd` fails.
  static func lapackQRIterationSVD(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, singularValues: UnsafeMutablePointer<Self>,
    u: UnsafeMutablePointer<Self>, vt: UnsafeMutablePointer<Self>) -> Int
  /// Eigenvalues (ascending) and eigenvectors of a symmetric `n × n` matrix (`?syevd`, upper triangle read);
  /// the eigenvectors overwrite `a` as columns.
  static func lapackSymmetricEigen(n: Int, a: UnsafeMutablePointer<Self>, values: UnsafeMutablePointer<Self>) -> Int
  /// Solves `A X = B` by LU with partial pivoting (`?gesv`); `b` (`n × rightHandSides`) is overwritten by `X`.
  static func lapackSolve(
    n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Self>, pivots: UnsafeMutablePointer<BLASInteger>,
    b: UnsafeMutablePointer<Self>) -> Int
  /// Householder QR factorization of the `m × n` matrix `a` in place (`?geqrf`); `tau` holds `min(m, n)` scales.
  static func lapackQRFactor(m: Int, n: Int, a: UnsafeMutablePointer<Self>, tau: UnsafeMutablePointer<Self>) -> Int
  /// Forms the `m × n` matrix with orthonormal columns from `reflectors` Householder vectors stored in `a`
  /// (`?orgqr`).
  static func lapackQRFormQ(
    m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<Self>, tau: UnsafePointer<Self>) -> Int

  // MARK: FFT back end

  /// Creates an FFT plan for one transform of `length` points (FFTW, estimated, out of place), or `nil` when
  /// the platform has no FFT library. `aligned` plans may only run on SIMD-aligned arrays.
  ///
  /// Planning is not thread-safe: callers hold one process-wide lock (the plan cache does).
  static func fftwPlan(_ kind: FFTKind, length: Int, aligned: Bool) -> OpaquePointer?
  /// Runs a plan from ``fftwPlan(_:length:aligned:)`` on new arrays; safe to call from several threads at once.
  static func fftwExecute(
    _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer)
  /// Whether `pointer` has the SIMD alignment that aligned plans need.
  static func fftwIsAligned(_ pointer: UnsafeRawPointer) -> Bool
}
