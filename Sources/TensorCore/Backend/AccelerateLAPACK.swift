// LAPACK on Accelerate (Apple platforms). Accelerate offers only the column-major Fortran interface, so every
// entry point hands its routine to a row-major driver of `ColumnMajorLAPACK`, which copies the operands to
// column-major order and back. Written to the API of Accelerate's new LAPACK headers (`ACCELERATE_NEW_LAPACK`,
// macOS 13.3 / iOS 16.4: scalars by `const __LAPACK_int *`, complex arrays as `OpaquePointer`); not compiled or
// tested on an Apple platform. The drivers themselves are tested on Linux over LAPACKE's column-major functions.
#if canImport(Accelerate)
  import Accelerate

  extension Float {
    public static func lapackDivideAndConquerSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, singularValues: UnsafeMutablePointer<Float>,
      u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
    ) -> Int {
      ColumnMajorLAPACK.divideAndConquerSVD(m: m, n: n, a: a, singularValues: singularValues, u: u, vt: vt) {
        sgesdd_($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      }
    }

    public static func lapackQRIterationSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, singularValues: UnsafeMutablePointer<Float>,
      u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
    ) -> Int {
      ColumnMajorLAPACK.qrIterationSVD(m: m, n: n, a: a, singularValues: singularValues, u: u, vt: vt) {
        sgesvd_($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      }
    }

    public static func lapackSymmetricEigen(
      n: Int, a: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    ) -> Int {
      ColumnMajorLAPACK.symmetricEigen(n: n, a: a, values: values) {
        ssyevd_($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      }
    }

    public static func lapackSolve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Float>, pivots: UnsafeMutablePointer<BLASInteger>,
      b: UnsafeMutablePointer<Float>
    ) -> Int {
      ColumnMajorLAPACK.solve(n: n, rightHandSides: rightHandSides, a: a, pivots: pivots, b: b) {
        sgesv_($0, $1, $2, $3, $4, $5, $6, $7)
      }
    }

    public static func lapackQRFactor(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, tau: UnsafeMutablePointer<Float>
    ) -> Int {
      ColumnMajorLAPACK.qrFactor(m: m, n: n, a: a, tau: tau) { sgeqrf_($0, $1, $2, $3, $4, $5, $6, $7) }
    }

    public static func lapackQRFormQ(
      m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<Float>, tau: UnsafePointer<Float>
    ) -> Int {
      ColumnMajorLAPACK.qrFormQ(m: m, n: n, reflectors: reflectors, a: a, tau: tau) {
        sorgqr_($0, $1, $2, $3, $4, $5, $6, $7, $8)
      }
    }
  }

  extension Double {
    public static func lapackDivideAndConquerSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, singularValues: UnsafeMutablePointer<Double>,
      u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.divideAndConquerSVD(m: m, n: n, a: a, singularValues: singularValues, u: u, vt: vt) {
        dgesdd_($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      }
    }

    public static func lapackQRIterationSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, singularValues: UnsafeMutablePointer<Double>,
      u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.qrIterationSVD(m: m, n: n, a: a, singularValues: singularValues, u: u, vt: vt) {
        dgesvd_($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      }
    }

    public static func lapackSymmetricEigen(
      n: Int, a: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.symmetricEigen(n: n, a: a, values: values) {
        dsyevd_($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      }
    }

    public static func lapackSolve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Double>, pivots: UnsafeMutablePointer<BLASInteger>,
      b: UnsafeMutablePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.solve(n: n, rightHandSides: rightHandSides, a: a, pivots: pivots, b: b) {
        dgesv_($0, $1, $2, $3, $4, $5, $6, $7)
      }
    }

    public static func lapackQRFactor(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.qrFactor(m: m, n: n, a: a, tau: tau) { dgeqrf_($0, $1, $2, $3, $4, $5, $6, $7) }
    }

    public static func lapackQRFormQ(
      m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<Double>, tau: UnsafePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.qrFormQ(m: m, n: n, reflectors: reflectors, a: a, tau: tau) {
        dorgqr_($0, $1, $2, $3, $4, $5, $6, $7, $8)
      }
    }
  }

  /// Complex double-precision LAPACK routines (no Float twins: the API offers them in `Double` only).
  enum ComplexLAPACK {
    /// Eigenvalues and right eigenvectors of a general real `n × n` matrix (`dgeev`); `a` is overwritten.
    static func generalEigen(
      n: Int, a: UnsafeMutablePointer<Double>, realParts: UnsafeMutablePointer<Double>,
      imaginaryParts: UnsafeMutablePointer<Double>, vectors: UnsafeMutablePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.generalEigen(
        n: n, a: a, realParts: realParts, imaginaryParts: imaginaryParts, vectors: vectors
      ) { dgeev_($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) }
    }

    /// Eigenvalues (ascending) and eigenvectors of a Hermitian matrix (`zheevd`, upper triangle read);
    /// the eigenvectors overwrite `a` as columns.
    static func hermitianEigen(
      n: Int, a: UnsafeMutablePointer<Complex<Double>>, values: UnsafeMutablePointer<Double>
    ) -> Int {
      ColumnMajorLAPACK.hermitianEigen(n: n, a: a, values: values) {
        zheevd_($0, $1, $2, OpaquePointer($3), $4, $5, OpaquePointer($6), $7, $8, $9, $10, $11, $12)
      }
    }

    /// Solves the complex system `A X = B` (`zgesv`); `b` (`n × rightHandSides`) is overwritten by `X`.
    static func solve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Complex<Double>>,
      pivots: UnsafeMutablePointer<BLASInteger>, b: UnsafeMutablePointer<Complex<Double>>
    ) -> Int {
      ColumnMajorLAPACK.solve(n: n, rightHandSides: rightHandSides, a: a, pivots: pivots, b: b) {
        zgesv_($0, $1, OpaquePointer($2), $3, $4, OpaquePointer($5), $6, $7)
      }
    }
  }
#endif
