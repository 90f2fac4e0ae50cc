// LAPACKE entry points (OpenBLAS's LAPACK, row-major layout). Sizes are validated by the callers in `Linalg/`;
// `blasInt` stops on anything that would not fit LAPACK's 32-bit integers.
#if !canImport(Accelerate)
  import CLAPACKE

  private let rowMajor = Int32(LAPACK_ROW_MAJOR)
  private let columnMajor = Int32(LAPACK_COL_MAJOR)

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
      // OpenBLAS 0.3.21's zgemv_n kernel (reached through zhetrd) reads up to 16 bytes past the vectors it is
      // given, which crashes when a buffer ends at a page boundary. LAPACKE's row-major path copies into
      // buffers of exact size, so this calls the column-major routine on copies with slack at the end of
      // every buffer (valgrind-clean for n = 2…80). The row-major H read column-major is Hᵀ = conj(H): its
      // lower triangle is H's upper one, and its eigenvectors are the conjugates of H's.
      let slack = 8
      let count = n * n
      var matrix = [Complex<Double>](repeating: .zero, count: count + slack)
      var eigenvalues = [Double](repeating: 0, count: n + slack)
      matrix.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: a, count: count) }
      let info = matrix.withUnsafeMutableBufferPointer { pm -> Int32 in
        eigenvalues.withUnsafeMutableBufferPointer { pw -> Int32 in
          var workSize = Complex<Double>.zero
          var realWorkSize = 0.0
          var integerWorkSize: Int32 = 0
          let query = withUnsafeMutablePointer(to: &workSize) { pq in
            LAPACKE_zheevd_work(
              columnMajor, job("V"), job("L"), blasInt(n), lapackComplex(pm.baseAddress!), blasInt(n),
              pw.baseAddress, lapackComplex(pq), -1, &realWorkSize, -1, &integerWorkSize, -1)
          }
          guard query == 0 else { return query }
          var work = [Complex<Double>](repeating: .zero, count: Int(workSize.real) + slack)
          var realWork = [Double](repeating: 0, count: Int(realWorkSize) + slack)
          var integerWork = [Int32](repeating: 0, count: Int(integerWorkSize) + slack)
          return work.withUnsafeMutableBufferPointer { pwork in
            LAPACKE_zheevd_work(
              columnMajor, job("V"), job("L"), blasInt(n), lapackComplex(pm.baseAddress!), blasInt(n),
              pw.baseAddress, lapackComplex(pwork.baseAddress!), blasInt(Int(workSize.real)), &realWork,
              blasInt(Int(realWorkSize)), &integerWork, integerWorkSize)
          }
        }
      }
      guard info == 0 else { return Int(info) }
      for i in 0..<n {
        values[i] = eigenvalues[i]
        for j in 0..<n { a[i * n + j] = matrix[j * n + i].conjugate }
      }
      return 0
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
