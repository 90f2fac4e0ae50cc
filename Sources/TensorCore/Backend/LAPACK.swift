// LAPACKE entry points (OpenBLAS's LAPACK, row-major layout). Sizes are validated by the callers in `Linalg/`;
// `blasInt` stops on anything that would not fit LAPACK's 32-bit integers.
#if !canImport(Accelerate)
  import CLAPACKE

  private let rowMajor = Int32(LAPACK_ROW_MAJOR)

  /// A LAPACK job character such as `"S"` or `"V"`.
  private func job(_ letter: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: letter)) }

  /// The opaque `lapack_complex_double *` that LAPACKE takes, viewing a buffer of `Complex<Double>`.
  private func lapackComplex(_ pointer: UnsafeMutablePointer<Complex<Double>>) -> OpaquePointer {
    OpaquePointer(UnsafeMutableRawPointer(pointer))
  }

  extension Float {
    public static func lapackDivideAndConquerSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, singularValues: UnsafeMutablePointer<Float>,
      u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
    ) -> Int {
      let k = Swift.min(m, n)
      return Int(
        LAPACKE_sgesdd(
          rowMajor, job("S"), blasInt(m), blasInt(n), a, blasInt(n), singularValues, u, blasInt(k), vt, blasInt(n)))
    }

    public static func lapackQRIterationSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, singularValues: UnsafeMutablePointer<Float>,
      u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
    ) -> Int {
      let k = Swift.min(m, n)
      var superdiagonal = [Float](repeating: 0, count: Swift.max(1, k - 1))
      return Int(
        LAPACKE_sgesvd(
          rowMajor, job("S"), job("S"), blasInt(m), blasInt(n), a, blasInt(n), singularValues, u, blasInt(k), vt,
          blasInt(n), &superdiagonal))
    }

    public static func lapackSymmetricEigen(
      n: Int, a: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    ) -> Int {
      Int(LAPACKE_ssyevd(rowMajor, job("V"), job("U"), blasInt(n), a, blasInt(n), values))
    }

    public static func lapackSolve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Float>, pivots: UnsafeMutablePointer<BLASInteger>,
      b: UnsafeMutablePointer<Float>
    ) -> Int {
      Int(
        LAPACKE_sgesv(
          rowMajor, blasInt(n), blasInt(rightHandSides), a, blasInt(n), pivots, b, blasInt(rightHandSides)))
    }

    public static func lapackQRFactor(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, tau: UnsafeMutablePointer<Float>
    ) -> Int {
      Int(LAPACKE_sgeqrf(rowMajor, blasInt(m), blasInt(n), a, blasInt(n), tau))
    }

    public static func lapackQRFormQ(
      m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<Float>, tau: UnsafePointer<Float>
    ) -> Int {
      Int(LAPACKE_sorgqr(rowMajor, blasInt(m), blasInt(n), blasInt(reflectors), a, blasInt(n), tau))
    }
  }

  extension Double {
    public static func lapackDivideAndConquerSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, singularValues: UnsafeMutablePointer<Double>,
      u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>
    ) -> Int {
      let k = Swift.min(m, n)
      return Int(
        LAPACKE_dgesdd(
          rowMajor, job("S"), blasInt(m), blasInt(n), a, blasInt(n), singularValues, u, blasInt(k), vt, blasInt(n)))
    }

    public static func lapackQRIterationSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, singularValues: UnsafeMutablePointer<Double>,
      u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>
    ) -> Int {
      let k = Swift.min(m, n)
      var superdiagonal = [Double](repeating: 0, count: Swift.max(1, k - 1))
      return Int(
        LAPACKE_dgesvd(
          rowMajor, job("S"), job("S"), blasInt(m), blasInt(n), a, blasInt(n), singularValues, u, blasInt(k), vt,
          blasInt(n), &superdiagonal))
    }

    public static func lapackSymmetricEigen(
      n: Int, a: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>
    ) -> Int {
      Int(LAPACKE_dsyevd(rowMajor, job("V"), job("U"), blasInt(n), a, blasInt(n), values))
    }

    public static func lapackSolve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Double>, pivots: UnsafeMutablePointer<BLASInteger>,
      b: UnsafeMutablePointer<Double>
    ) -> Int {
      Int(
        LAPACKE_dgesv(
          rowMajor, blasInt(n), blasInt(rightHandSides), a, blasInt(n), pivots, b, blasInt(rightHandSides)))
    }

    public static func lapackQRFactor(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>
    ) -> Int {
      Int(LAPACKE_dgeqrf(rowMajor, blasInt(m), blasInt(n), a, blasInt(n), tau))
    }

    public static func lapackQRFormQ(
      m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<Double>, tau: UnsafePointer<Double>
    ) -> Int {
      Int(LAPACKE_dorgqr(rowMajor, blasInt(m), blasInt(n), blasInt(reflectors), a, blasInt(n), tau))
    }
  }

  /// Complex double-precision LAPACK routines (no Float twins: the API offers them in `Double` only).
  enum ComplexLAPACK {
    /// Eigenvalues and right eigenvectors of a general real `n × n` matrix (`dgeev`); `a` is overwritten.
    static func generalEigen(
      n: Int, a: UnsafeMutablePointer<Double>, realParts: UnsafeMutablePointer<Double>,
      imaginaryParts: UnsafeMutablePointer<Double>, vectors: UnsafeMutablePointer<Double>
    ) -> Int {
      Int(
        LAPACKE_dgeev(
          rowMajor, job("N"), job("V"), blasInt(n), a, blasInt(n), realParts, imaginaryParts, nil, 1, vectors,
          blasInt(n)))
    }

    /// Eigenvalues (ascending) and eigenvectors of a Hermitian matrix (`zheevd`, upper triangle read);
    /// the eigenvectors overwrite `a` as columns.
    static func hermitianEigen(
      n: Int, a: UnsafeMutablePointer<Complex<Double>>, values: UnsafeMutablePointer<Double>
    ) -> Int {
      Int(LAPACKE_zheevd(rowMajor, job("V"), job("U"), blasInt(n), lapackComplex(a), blasInt(n), values))
    }

    /// Solves the complex system `A X = B` (`zgesv`); `b` (`n × rightHandSides`) is overwritten by `X`.
    static func solve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Complex<Double>>,
      pivots: UnsafeMutablePointer<BLASInteger>, b: UnsafeMutablePointer<Complex<Double>>
    ) -> Int {
      Int(
        LAPACKE_zgesv(
          rowMajor, blasInt(n), blasInt(rightHandSides), lapackComplex(a), blasInt(n), pivots, lapackComplex(b),
          blasInt(rightHandSides)))
    }
  }
#endif
