/// Row-major LAPACK drivers on top of a column-major, Fortran-interface LAPACK (Accelerate has no LAPACKE).
///
/// Each driver copies its row-major operands into column-major workspaces, calls the routine (after a
/// workspace query, `lwork = -1`, where the routine has one), and copies the results back in row-major order:
/// the same transposition LAPACKE performs for `LAPACK_ROW_MAJOR`, so the drivers keep the semantics of the
/// ``TensorScalar`` LAPACK requirements exactly. The routine itself is passed in as a closure with the
/// Fortran argument order (every scalar by pointer, `info` last), so that the back end supplies `sgesdd_` or
/// `dgesdd_` and the tests can supply LAPACKE's column-major `_work` functions.
enum ColumnMajorLAPACK {
  /// A LAPACK integer argument read by the routine.
  typealias IntegerIn = UnsafePointer<BLASInteger>
  /// A LAPACK integer argument or array written by the routine (`info`, pivots, integer workspace).
  typealias IntegerOut = UnsafeMutablePointer<BLASInteger>
  /// A LAPACK job or triangle letter.
  typealias Letter = UnsafePointer<CChar>

  /// `?gesdd(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info)`.
  typealias DivideAndConquerSVD<S> = (
    Letter, IntegerIn, IntegerIn, UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>,
    UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>, IntegerIn,
    IntegerOut, IntegerOut
  ) -> Void
  /// `?gesvd(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)`.
  typealias QRIterationSVD<S> = (
    Letter, Letter, IntegerIn, IntegerIn, UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>,
    UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>, IntegerIn,
    IntegerOut
  ) -> Void
  /// `?syevd(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info)`.
  typealias SymmetricEigen<S> = (
    Letter, Letter, IntegerIn, UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>,
    IntegerIn, IntegerOut, IntegerIn, IntegerOut
  ) -> Void
  /// `?gesv(n, nrhs, a, lda, ipiv, b, ldb, info)`, real or complex.
  typealias Solve<T> = (
    IntegerIn, IntegerIn, UnsafeMutablePointer<T>, IntegerIn, IntegerOut, UnsafeMutablePointer<T>, IntegerIn,
    IntegerOut
  ) -> Void
  /// `?geqrf(m, n, a, lda, tau, work, lwork, info)`.
  typealias QRFactor<S> = (
    IntegerIn, IntegerIn, UnsafeMutablePointer<S>, IntegerIn, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>,
    IntegerIn, IntegerOut
  ) -> Void
  /// `?orgqr(m, n, k, a, lda, tau, work, lwork, info)`.
  typealias QRFormQ<S> = (
    IntegerIn, IntegerIn, IntegerIn, UnsafeMutablePointer<S>, IntegerIn, UnsafePointer<S>, UnsafeMutablePointer<S>,
    IntegerIn, IntegerOut
  ) -> Void
  /// `dgeev(jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr, work, lwork, info)`.
  typealias GeneralEigen = (
    Letter, Letter, IntegerIn, UnsafeMutablePointer<Double>, IntegerIn, UnsafeMutablePointer<Double>,
    UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, IntegerIn, UnsafeMutablePointer<Double>, IntegerIn,
    UnsafeMutablePointer<Double>, IntegerIn, IntegerOut
  ) -> Void
  /// `zheevd(jobz, uplo, n, a, lda, w, work, lwork, rwork, lrwork, iwork, liwork, info)`.
  typealias HermitianEigen = (
    Letter, Letter, IntegerIn, UnsafeMutablePointer<Complex<Double>>, IntegerIn, UnsafeMutablePointer<Double>,
    UnsafeMutablePointer<Complex<Double>>, IntegerIn, UnsafeMutablePointer<Double>, IntegerIn, IntegerOut, IntegerIn,
    IntegerOut
  ) -> Void

  // MARK: - Drivers (row-major in, row-major out, LAPACK's `info` returned)

  /// Thin SVD by divide and conquer, with the semantics of ``TensorScalar/lapackDivideAndConquerSVD(m:n:a:singularValues:u:vt:)``.
  ///
  /// - Complexity: O(m·n·min(m, n)) plus three transposed copies.
  static func divideAndConquerSVD<S: TensorScalar>(
    m: Int, n: Int, a: UnsafeMutablePointer<S>, singularValues: UnsafeMutablePointer<S>,
    u: UnsafeMutablePointer<S>, vt: UnsafeMutablePointer<S>, routine: DivideAndConquerSVD<S>
  ) -> Int {
    let k = Swift.min(m, n)
    var (job, rows, columns, k32) = (letter("S"), blasInt(m), blasInt(n), blasInt(k))
    let integerWorkspace = IntegerOut.allocate(capacity: 8 * Swift.max(1, k))
    defer { integerWorkspace.deallocate() }
    return withColumnMajorSVD(m: m, n: n, a: a, u: u, vt: vt) { a, u, vt in
      withWorkspace(of: S.self) { work, lwork, info in
        routine(
          &job, &rows, &columns, a, &rows, singularValues, u, &rows, vt, &k32, work, lwork, integerWorkspace, info)
      }
    }
  }

  /// Thin SVD by QR iteration, with the semantics of ``TensorScalar/lapackQRIterationSVD(m:n:a:singularValues:u:vt:)``.
  ///
  /// - Complexity: O(m·n·min(m, n)) plus three transposed copies.
  static func qrIterationSVD<S: TensorScalar>(
    m: Int, n: Int, a: UnsafeMutablePointer<S>, singularValues: UnsafeMutablePointer<S>,
    u: UnsafeMutablePointer<S>, vt: UnsafeMutablePointer<S>, routine: QRIterationSVD<S>
  ) -> Int {
    let k = Swift.min(m, n)
    var (job, rows, columns, k32) = (letter("S"), blasInt(m), blasInt(n), blasInt(k))
    return withColumnMajorSVD(m: m, n: n, a: a, u: u, vt: vt) { a, u, vt in
      withWorkspace(of: S.self) { work, lwork, info in
        routine(&job, &job, &rows, &columns, a, &rows, singularValues, u, &rows, vt, &k32, work, lwork, info)
      }
    }
  }

  /// Symmetric eigendecomposition (upper triangle read, eigenvectors as columns), with the semantics of
  /// ``TensorScalar/lapackSymmetricEigen(n:a:values:)``.
  ///
  /// - Complexity: O(n³) plus two transposed copies.
  static func symmetricEigen<S: TensorScalar>(
    n: Int, a: UnsafeMutablePointer<S>, values: UnsafeMutablePointer<S>, routine: SymmetricEigen<S>
  ) -> Int {
    var (job, upper, order) = (letter("V"), letter("U"), blasInt(n))
    return withColumnMajor(a, rows: n, columns: n) { a in
      // Two workspaces, real and integer, queried together.
      var (realQuery, integerQuery) = (S.zero, BLASInteger(0))
      var (lwork, liwork, info) = (BLASInteger(-1), BLASInteger(-1), BLASInteger(0))
      routine(&job, &upper, &order, a, &order, values, &realQuery, &lwork, &integerQuery, &liwork, &info)
      guard info == 0 else { return Int(info) }
      let realCount = workspaceCount(realQuery)
      let integerCount = Swift.max(1, Int(integerQuery))
      let work = UnsafeMutablePointer<S>.allocate(capacity: realCount)
      let integerWork = IntegerOut.allocate(capacity: integerCount)
      defer {
        work.deallocate()
        integerWork.deallocate()
      }
      (lwork, liwork) = (blasInt(realCount), blasInt(integerCount))
      routine(&job, &upper, &order, a, &order, values, work, &lwork, integerWork, &liwork, &info)
      return Int(info)
    }
  }

  /// Solves `A X = B` by LU with partial pivoting, with the semantics of
  /// ``TensorScalar/lapackSolve(n:rightHandSides:a:pivots:b:)``; real or complex elements.
  ///
  /// - Complexity: O(n³ + n²·rightHandSides) plus four transposed copies.
  static func solve<T>(
    n: Int, rightHandSides: Int, a: UnsafeMutablePointer<T>, pivots: UnsafeMutablePointer<BLASInteger>,
    b: UnsafeMutablePointer<T>, routine: Solve<T>
  ) -> Int {
    var (order, columns, info) = (blasInt(n), blasInt(rightHandSides), BLASInteger(0))
    withColumnMajor(a, rows: n, columns: n) { a in
      withColumnMajor(b, rows: n, columns: rightHandSides) { b in
        routine(&order, &columns, a, &order, pivots, b, &order, &info)
      }
    }
    return Int(info)
  }

  /// Householder QR factorization in place, with the semantics of ``TensorScalar/lapackQRFactor(m:n:a:tau:)``.
  ///
  /// - Complexity: O(m·n·min(m, n)) plus two transposed copies.
  static func qrFactor<S: TensorScalar>(
    m: Int, n: Int, a: UnsafeMutablePointer<S>, tau: UnsafeMutablePointer<S>, routine: QRFactor<S>
  ) -> Int {
    var (rows, columns) = (blasInt(m), blasInt(n))
    return withColumnMajor(a, rows: m, columns: n) { a in
      withWorkspace(of: S.self) { work, lwork, info in routine(&rows, &columns, a, &rows, tau, work, lwork, info) }
    }
  }

  /// Forms `Q` from Householder vectors, with the semantics of
  /// ``TensorScalar/lapackQRFormQ(m:n:reflectors:a:tau:)``.
  ///
  /// - Complexity: O(m·n·reflectors) plus two transposed copies.
  static func qrFormQ<S: TensorScalar>(
    m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<S>, tau: UnsafePointer<S>, routine: QRFormQ<S>
  ) -> Int {
    var (rows, columns, count) = (blasInt(m), blasInt(n), blasInt(reflectors))
    return withColumnMajor(a, rows: m, columns: n) { a in
      withWorkspace(of: S.self) { work, lwork, info in
        routine(&rows, &columns, &count, a, &rows, tau, work, lwork, info)
      }
    }
  }

  /// Eigenvalues and right eigenvectors of a general real matrix, with the semantics of
  /// `ComplexLAPACK.generalEigen`: `vectors` receives LAPACK's packed real columns, row-major.
  ///
  /// - Complexity: O(n³) plus three transposed copies.
  static func generalEigen(
    n: Int, a: UnsafeMutablePointer<Double>, realParts: UnsafeMutablePointer<Double>,
    imaginaryParts: UnsafeMutablePointer<Double>, vectors: UnsafeMutablePointer<Double>, routine: GeneralEigen
  ) -> Int {
    var (noLeft, right, order, one) = (letter("N"), letter("V"), blasInt(n), BLASInteger(1))
    var unusedLeftVector = 0.0  // jobvl = 'N': never referenced, ldvl = 1
    return withColumnMajor(a, rows: n, columns: n) { a in
      withColumnMajor(vectors, rows: n, columns: n) { vectors in
        withWorkspace(of: Double.self) { work, lwork, info in
          routine(
            &noLeft, &right, &order, a, &order, realParts, imaginaryParts, &unusedLeftVector, &one, vectors, &order,
            work, lwork, info)
        }
      }
    }
  }

  /// Eigendecomposition of a Hermitian matrix (upper triangle read, eigenvectors as columns), with the
  /// semantics of `ComplexLAPACK.hermitianEigen`.
  ///
  /// The column-major copy holds `H` itself, not the `Hᵀ = conj(H)` that reading the row-major buffer as
  /// column-major would give, so the eigenvectors need no conjugation.
  ///
  /// - Complexity: O(n³) plus two transposed copies.
  static func hermitianEigen(
    n: Int, a: UnsafeMutablePointer<Complex<Double>>, values: UnsafeMutablePointer<Double>, routine: HermitianEigen
  ) -> Int {
    var (job, upper, order) = (letter("V"), letter("U"), blasInt(n))
    return withColumnMajor(a, rows: n, columns: n) { a in
      // Three workspaces, complex, real and integer, queried together.
      var (complexQuery, realQuery, integerQuery) = (Complex<Double>.zero, 0.0, BLASInteger(0))
      var (lwork, lrwork, liwork, info) = (BLASInteger(-1), BLASInteger(-1), BLASInteger(-1), BLASInteger(0))
      routine(
        &job, &upper, &order, a, &order, values, &complexQuery, &lwork, &realQuery, &lrwork, &integerQuery, &liwork,
        &info)
      guard info == 0 else { return Int(info) }
      let complexCount = workspaceCount(complexQuery.real)
      let realCount = workspaceCount(realQuery)
      let integerCount = Swift.max(1, Int(integerQuery))
      let work = UnsafeMutablePointer<Complex<Double>>.allocate(capacity: complexCount)
      let realWork = UnsafeMutablePointer<Double>.allocate(capacity: realCount)
      let integerWork = IntegerOut.allocate(capacity: integerCount)
      defer {
        work.deallocate()
        realWork.deallocate()
        integerWork.deallocate()
      }
      (lwork, lrwork, liwork) = (blasInt(complexCount), blasInt(realCount), blasInt(integerCount))
      routine(
        &job, &upper, &order, a, &order, values, work, &lwork, realWork, &lrwork, integerWork, &liwork, &info)
      return Int(info)
    }
  }

  // MARK: - Layout and workspace helpers

  /// Runs `body` on a column-major copy of the row-major `rows × columns` matrix at `matrix`, then writes the
  /// copy (which the routine may have overwritten) back in row-major order.
  ///
  /// - Complexity: O(rows · columns) for each of the two copies.
  static func withColumnMajor<T, R>(
    _ matrix: UnsafeMutablePointer<T>, rows: Int, columns: Int, _ body: (UnsafeMutablePointer<T>) -> R
  ) -> R {
    let copy = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, rows * columns))
    defer { copy.deallocate() }
    transpose(matrix, rows: rows, columns: columns, into: copy)
    let result = body(copy)
    transpose(copy, rows: columns, columns: rows, into: matrix)
    return result
  }

  /// Runs `body` on column-major copies of the thin-SVD operands: `a` (`m × n`), `u` (`m × k`) and `vt`
  /// (`k × n`), `k = min(m, n)`, each written back in row-major order afterwards.
  static func withColumnMajorSVD<S, R>(
    m: Int, n: Int, a: UnsafeMutablePointer<S>, u: UnsafeMutablePointer<S>, vt: UnsafeMutablePointer<S>,
    _ body: (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>) -> R
  ) -> R {
    let k = Swift.min(m, n)
    return withColumnMajor(a, rows: m, columns: n) { a in
      withColumnMajor(u, rows: m, columns: k) { u in
        withColumnMajor(vt, rows: k, columns: n) { vt in body(a, u, vt) }
      }
    }
  }

  /// Writes the `columns × rows` transpose of the row-major `rows × columns` matrix `source` to `target`, which
  /// is the column-major layout of `source` (and, read the other way, turns column-major back into row-major).
  ///
  /// - Complexity: O(rows · columns).
  static func transpose<T>(
    _ source: UnsafePointer<T>, rows: Int, columns: Int, into target: UnsafeMutablePointer<T>
  ) {
    for i in 0..<rows {
      for j in 0..<columns { (target + j * rows + i).initialize(to: source[i * columns + j]) }
    }
  }

  /// Calls a routine with a real workspace twice: a query (`lwork = -1`, the optimal size returned in
  /// `work[0]`), then the computation with that workspace. Returns `info`.
  static func withWorkspace<S: TensorScalar>(
    of type: S.Type, _ routine: (UnsafeMutablePointer<S>, IntegerIn, IntegerOut) -> Void
  ) -> Int {
    var (query, lwork, info) = (S.zero, BLASInteger(-1), BLASInteger(0))
    routine(&query, &lwork, &info)
    guard info == 0 else { return Int(info) }
    let count = workspaceCount(query)
    let work = UnsafeMutablePointer<S>.allocate(capacity: count)
    defer { work.deallocate() }
    lwork = blasInt(count)
    routine(work, &lwork, &info)
    return Int(info)
  }

  /// The workspace size a query returned as a floating-point number, rounded up and at least 1.
  static func workspaceCount<S: TensorScalar>(_ query: S) -> Int { Swift.max(1, Int(query.rounded(.up))) }

  /// A LAPACK letter argument.
  static func letter(_ scalar: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: scalar)) }
}
