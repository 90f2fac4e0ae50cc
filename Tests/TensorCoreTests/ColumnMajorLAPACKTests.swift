import CLAPACKE
import Foundation
import TestSupport
import Testing

@testable import TensorCore

/// The row-major drivers of the Accelerate back end, run here on LAPACKE's column-major `_work` functions (which
/// hand their arguments straight to the Fortran routines, workspace queries included) and compared with the
/// row-major LAPACKE entry points that the Linux back end uses: same routine, same matrix, so the results must
/// agree to rounding; every result is also checked against its defining identity.
@Suite("Row-major LAPACK drivers over column-major routines")
struct ColumnMajorLAPACKTests {
  static let columnMajor = Int32(LAPACK_COL_MAJOR)

  func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    return (0..<(rows * columns)).map { _ in generator.nextNormal() }
  }

  func maxDifference<S: TensorScalar>(_ a: [S], _ b: [S]) -> Double {
    zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
  }

  /// Runs an SVD entry point on a copy of `a`; returns `(info, σ, U, Vᵀ)`.
  func svd<S: TensorScalar>(
    _ a: [S], m: Int, n: Int,
    _ routine: (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>) -> Int
  ) -> (info: Int, values: [S], u: [S], vt: [S]) {
    let k = min(m, n)
    var (work, values) = (a, [S](repeating: 0, count: k))
    var (u, vt) = ([S](repeating: 0, count: m * k), [S](repeating: 0, count: k * n))
    let info = work.withUnsafeMutableBufferPointer { pa in
      values.withUnsafeMutableBufferPointer { ps in
        u.withUnsafeMutableBufferPointer { pu in
          vt.withUnsafeMutableBufferPointer { pv in routine(pa.baseAddress!, ps.baseAddress!, pu.baseAddress!, pv.baseAddress!) }
        }
      }
    }
    return (info, values, u, vt)
  }

  /// `‖U·diag(σ)·Vᵀ − A‖_max` for row-major factors.
  func reconstructionError<S: TensorScalar>(_ a: [S], m: Int, n: Int, values: [S], u: [S], vt: [S]) -> Double {
    let k = values.count
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k { sum += Double(u[i * k + p]) * Double(values[p]) * Double(vt[p * n + j]) }
        worst = max(worst, abs(sum - Double(a[i * n + j])))
      }
    }
    return worst
  }

  @Test(arguments: [(7, 4), (4, 7), (5, 5)])
  func divideAndConquerSVDDouble(shape: (Int, Int)) {
    let (m, n) = shape
    let a = randomMatrix(m, n, seed: UInt64(10 * m + n))
    let driver = svd(a, m: m, n: n) {
      ColumnMajorLAPACK.divideAndConquerSVD(m: m, n: n, a: $0, singularValues: $1, u: $2, vt: $3) {
        jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info in
        info.pointee = LAPACKE_dgesdd_work(
          Self.columnMajor, jobz.pointee, m.pointee, n.pointee, a, lda.pointee, s, u, ldu.pointee, vt, ldvt.pointee,
          work, lwork.pointee, iwork)
      }
    }
    let rowMajor = svd(a, m: m, n: n) { Double.lapackDivideAndConquerSVD(m: m, n: n, a: $0, singularValues: $1, u: $2, vt: $3) }
    #expect(driver.info == 0 && rowMajor.info == 0)
    #expect(maxDifference(driver.values, rowMajor.values) < 1e-13)
    #expect(maxDifference(driver.u, rowMajor.u) < 1e-12)
    #expect(maxDifference(driver.vt, rowMajor.vt) < 1e-12)
    #expect(reconstructionError(a, m: m, n: n, values: driver.values, u: driver.u, vt: driver.vt) < 1e-12)
  }

  @Test(arguments: [(6, 3), (3, 6)])
  func divideAndConquerSVDFloat(shape: (Int, Int)) {
    let (m, n) = shape
    let a = randomMatrix(m, n, seed: UInt64(m + 3 * n)).map(Float.init)
    let driver = svd(a, m: m, n: n) {
      ColumnMajorLAPACK.divideAndConquerSVD(m: m, n: n, a: $0, singularValues: $1, u: $2, vt: $3) {
        jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info in
        info.pointee = LAPACKE_sgesdd_work(
          Self.columnMajor, jobz.pointee, m.pointee, n.pointee, a, lda.pointee, s, u, ldu.pointee, vt, ldvt.pointee,
          work, lwork.pointee, iwork)
      }
    }
    let rowMajor = svd(a, m: m, n: n) { Float.lapackDivideAndConquerSVD(m: m, n: n, a: $0, singularValues: $1, u: $2, vt: $3) }
    #expect(driver.info == 0)
    #expect(maxDifference(driver.values, rowMajor.values) < 1e-5)
    #expect(maxDifference(driver.u, rowMajor.u) < 1e-4)
    #expect(reconstructionError(a, m: m, n: n, values: driver.values, u: driver.u, vt: driver.vt) < 1e-5)
  }

  @Test(arguments: [(7, 4), (4, 7)])
  func qrIterationSVD(shape: (Int, Int)) {
    let (m, n) = shape
    let a = randomMatrix(m, n, seed: UInt64(5 * m + n))
    let driver = svd(a, m: m, n: n) {
      ColumnMajorLAPACK.qrIterationSVD(m: m, n: n, a: $0, singularValues: $1, u: $2, vt: $3) {
        jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info in
        info.pointee = LAPACKE_dgesvd_work(
          Self.columnMajor, jobu.pointee, jobvt.pointee, m.pointee, n.pointee, a, lda.pointee, s, u, ldu.pointee, vt,
          ldvt.pointee, work, lwork.pointee)
      }
    }
    let rowMajor = svd(a, m: m, n: n) { Double.lapackQRIterationSVD(m: m, n: n, a: $0, singularValues: $1, u: $2, vt: $3) }
    #expect(driver.info == 0)
    #expect(maxDifference(driver.values, rowMajor.values) < 1e-13)
    #expect(maxDifference(driver.u, rowMajor.u) < 1e-12)
    #expect(reconstructionError(a, m: m, n: n, values: driver.values, u: driver.u, vt: driver.vt) < 1e-12)
  }

  @Test func symmetricEigenReadsTheUpperTriangle() {
    let n = 6
    let b = randomMatrix(n, n, seed: 21)
    // Symmetric A, then garbage below the diagonal: only the upper triangle may be read.
    var a = (0..<(n * n)).map { b[$0] + b[($0 % n) * n + $0 / n] }
    let symmetric = a
    for i in 0..<n { for j in 0..<i { a[i * n + j] = 1e6 } }
    var (driverVectors, driverValues) = (a, [Double](repeating: 0, count: n))
    let info = driverVectors.withUnsafeMutableBufferPointer { pa in
      driverValues.withUnsafeMutableBufferPointer { pw in
        ColumnMajorLAPACK.symmetricEigen(n: n, a: pa.baseAddress!, values: pw.baseAddress!) {
          jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info in
          info.pointee = LAPACKE_dsyevd_work(
            Self.columnMajor, jobz.pointee, uplo.pointee, n.pointee, a, lda.pointee, w, work, lwork.pointee, iwork,
            liwork.pointee)
        }
      }
    }
    var (rowVectors, rowValues) = (a, [Double](repeating: 0, count: n))
    _ = rowVectors.withUnsafeMutableBufferPointer { pa in
      rowValues.withUnsafeMutableBufferPointer { Double.lapackSymmetricEigen(n: n, a: pa.baseAddress!, values: $0.baseAddress!) }
    }
    #expect(info == 0)
    #expect(maxDifference(driverValues, rowValues) < 1e-12)
    #expect(maxDifference(driverVectors, rowVectors) < 1e-12)
    // A·v_j = λ_j·v_j with v_j the j-th column.
    var residual = 0.0
    for j in 0..<n {
      for i in 0..<n {
        let av = (0..<n).reduce(0.0) { $0 + symmetric[i * n + $1] * driverVectors[$1 * n + j] }
        residual = max(residual, abs(av - driverValues[j] * driverVectors[i * n + j]))
      }
    }
    #expect(residual < 1e-12)
  }

  @Test func realSolveWithSeveralRightHandSides() {
    let (n, columns) = (5, 3)
    let a = randomMatrix(n, n, seed: 31)
    let b = randomMatrix(n, columns, seed: 32)
    var (lu, x, pivots) = (a, b, [BLASInteger](repeating: 0, count: n))
    let info = lu.withUnsafeMutableBufferPointer { pa in
      pivots.withUnsafeMutableBufferPointer { pp in
        x.withUnsafeMutableBufferPointer { pb in
          ColumnMajorLAPACK.solve(
            n: n, rightHandSides: columns, a: pa.baseAddress!, pivots: pp.baseAddress!, b: pb.baseAddress!
          ) { n, nrhs, a, lda, ipiv, b, ldb, info in
            info.pointee = LAPACKE_dgesv_work(
              Self.columnMajor, n.pointee, nrhs.pointee, a, lda.pointee, ipiv, b, ldb.pointee)
          }
        }
      }
    }
    #expect(info == 0)
    var residual = 0.0
    for i in 0..<n {
      for c in 0..<columns {
        let ax = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * x[$1 * columns + c] }
        residual = max(residual, abs(ax - b[i * columns + c]))
      }
    }
    #expect(residual < 1e-12)
  }

  @Test func singularSolveReportsThePivot() {
    // Rows 2 and 3 equal: LU meets an exact zero pivot, reported as info > 0 like the row-major path.
    let n = 3
    var a: [Double] = [2, 1, 0, 1, 1, 1, 1, 1, 1]
    var b: [Double] = [1, 2, 3]
    var pivots = [BLASInteger](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { pa in
      pivots.withUnsafeMutableBufferPointer { pp in
        b.withUnsafeMutableBufferPointer { pb in
          ColumnMajorLAPACK.solve(n: n, rightHandSides: 1, a: pa.baseAddress!, pivots: pp.baseAddress!, b: pb.baseAddress!) {
            n, nrhs, a, lda, ipiv, b, ldb, info in
            info.pointee = LAPACKE_dgesv_work(Self.columnMajor, n.pointee, nrhs.pointee, a, lda.pointee, ipiv, b, ldb.pointee)
          }
        }
      }
    }
    #expect(info == 3)
  }

  @Test(arguments: [(6, 4), (4, 6)])
  func qrFactorAndFormQ(shape: (Int, Int)) {
    let (m, n) = shape
    let k = min(m, n)
    let a = randomMatrix(m, n, seed: UInt64(40 + m))
    var (factored, tau) = (a, [Double](repeating: 0, count: k))
    let factorInfo = factored.withUnsafeMutableBufferPointer { pa in
      tau.withUnsafeMutableBufferPointer { pt in
        ColumnMajorLAPACK.qrFactor(m: m, n: n, a: pa.baseAddress!, tau: pt.baseAddress!) {
          m, n, a, lda, tau, work, lwork, info in
          info.pointee = LAPACKE_dgeqrf_work(Self.columnMajor, m.pointee, n.pointee, a, lda.pointee, tau, work, lwork.pointee)
        }
      }
    }
    var (rowFactored, rowTau) = (a, [Double](repeating: 0, count: k))
    _ = rowFactored.withUnsafeMutableBufferPointer { pa in
      rowTau.withUnsafeMutableBufferPointer { Double.lapackQRFactor(m: m, n: n, a: pa.baseAddress!, tau: $0.baseAddress!) }
    }
    #expect(factorInfo == 0)
    #expect(maxDifference(factored, rowFactored) < 1e-12 && maxDifference(tau, rowTau) < 1e-12)

    // Q (m × k) from the reflectors in the first k columns; then Q·R must give back A.
    var q = (0..<(m * k)).map { factored[($0 / k) * n + $0 % k] }
    let formInfo = q.withUnsafeMutableBufferPointer { pq in
      tau.withUnsafeBufferPointer { pt in
        ColumnMajorLAPACK.qrFormQ(m: m, n: k, reflectors: k, a: pq.baseAddress!, tau: pt.baseAddress!) {
          m, n, k, a, lda, tau, work, lwork, info in
          info.pointee = LAPACKE_dorgqr_work(
            Self.columnMajor, m.pointee, n.pointee, k.pointee, a, lda.pointee, tau, work, lwork.pointee)
        }
      }
    }
    #expect(formInfo == 0)
    var residual = 0.0
    for i in 0..<m {
      for j in 0..<n {
        let qr = (0..<k).reduce(0.0) { $0 + ($1 <= j ? q[i * k + $1] * factored[$1 * n + j] : 0) }
        residual = max(residual, abs(qr - a[i * n + j]))
      }
    }
    #expect(residual < 1e-12)
  }

  @Test func generalEigenPacksVectorsLikeTheRowMajorPath() {
    // A rotation-like block gives a complex pair; the rest real eigenvalues.
    let n = 5
    var a = randomMatrix(n, n, seed: 51)
    a[0 * n + 1] = 3
    a[1 * n + 0] = -3
    func run(
      _ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Int
    ) -> (Int, [Double], [Double], [Double]) {
      var (work, re, im, vectors) = (a, [Double](repeating: 0, count: n), [Double](repeating: 0, count: n), [Double](repeating: 0, count: n * n))
      let info = work.withUnsafeMutableBufferPointer { pa in
        re.withUnsafeMutableBufferPointer { pr in
          im.withUnsafeMutableBufferPointer { pi in
            vectors.withUnsafeMutableBufferPointer { pv in body(pa.baseAddress!, pr.baseAddress!, pi.baseAddress!, pv.baseAddress!) }
          }
        }
      }
      return (info, re, im, vectors)
    }
    let driver = run { a, re, im, vectors in
      ColumnMajorLAPACK.generalEigen(n: n, a: a, realParts: re, imaginaryParts: im, vectors: vectors) {
        jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr, work, lwork, info in
        info.pointee = LAPACKE_dgeev_work(
          Self.columnMajor, jobvl.pointee, jobvr.pointee, n.pointee, a, lda.pointee, wr, wi, vl, ldvl.pointee, vr,
          ldvr.pointee, work, lwork.pointee)
      }
    }
    let rowMajor = run { ComplexLAPACK.generalEigen(n: n, a: $0, realParts: $1, imaginaryParts: $2, vectors: $3) }
    #expect(driver.0 == 0)
    #expect(driver.2.contains { $0 != 0 }, "the test matrix should have a complex pair")
    #expect(maxDifference(driver.1, rowMajor.1) < 1e-12 && maxDifference(driver.2, rowMajor.2) < 1e-12)
    #expect(maxDifference(driver.3, rowMajor.3) < 1e-12)
  }

  @Test func hermitianEigenAndComplexSolve() {
    let n = 4
    let parts = randomMatrix(2 * n, n, seed: 61)
    let g = (0..<(n * n)).map { Complex(parts[$0], parts[n * n + $0]) }
    // H = G + Gᴴ, then garbage below the diagonal.
    var h = (0..<(n * n)).map { g[$0] + g[($0 % n) * n + $0 / n].conjugate }
    let hermitian = h
    for i in 0..<n { for j in 0..<i { h[i * n + j] = Complex(1e6, -1e6) } }
    var (vectors, values) = (h, [Double](repeating: 0, count: n))
    let info = vectors.withUnsafeMutableBufferPointer { pa in
      values.withUnsafeMutableBufferPointer { pw in
        ColumnMajorLAPACK.hermitianEigen(n: n, a: pa.baseAddress!, values: pw.baseAddress!) {
          jobz, uplo, n, a, lda, w, work, lwork, rwork, lrwork, iwork, liwork, info in
          info.pointee = LAPACKE_zheevd_work(
            Self.columnMajor, jobz.pointee, uplo.pointee, n.pointee, OpaquePointer(a), lda.pointee, w,
            OpaquePointer(work), lwork.pointee, rwork, lrwork.pointee, iwork, liwork.pointee)
        }
      }
    }
    #expect(info == 0)
    // H·v_j = λ_j·v_j, v_j the j-th column: conjugated eigenvectors would fail this for complex H.
    var residual = 0.0
    for j in 0..<n {
      for i in 0..<n {
        let hv = (0..<n).reduce(Complex<Double>.zero) { $0 + hermitian[i * n + $1] * vectors[$1 * n + j] }
        residual = max(residual, (hv - values[j] * vectors[i * n + j]).length)
      }
    }
    #expect(residual < 1e-12)

    // Complex solve H X = B against the row-major zgesv.
    let b = (0..<(2 * n)).map { Complex(Double($0), 1 - Double($0)) }
    var (lu, x, pivots) = (hermitian, b, [BLASInteger](repeating: 0, count: n))
    let solveInfo = lu.withUnsafeMutableBufferPointer { pa in
      pivots.withUnsafeMutableBufferPointer { pp in
        x.withUnsafeMutableBufferPointer { pb in
          ColumnMajorLAPACK.solve(n: n, rightHandSides: 2, a: pa.baseAddress!, pivots: pp.baseAddress!, b: pb.baseAddress!) {
            n, nrhs, a, lda, ipiv, b, ldb, info in
            info.pointee = LAPACKE_zgesv_work(
              Self.columnMajor, n.pointee, nrhs.pointee, OpaquePointer(a), lda.pointee, ipiv, OpaquePointer(b), ldb.pointee)
          }
        }
      }
    }
    #expect(solveInfo == 0)
    let expected = try? solve(hermitian, b, order: n)
    #expect(expected.map { maxComplexDifference(x, $0) < 1e-12 } == true)
  }
}
