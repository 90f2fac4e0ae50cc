/// A strided view of a row-major matrix in memory: `rows × columns` elements, `leadingDimension` apart
/// from one row to the next.
///
/// Views let GEMM read and write sub-matrices (a block of a block-diagonal factor, a slice of a batch)
/// without copies.
public struct MatrixView<Scalar: TensorScalar> {
  /// The first element.
  public let base: UnsafePointer<Scalar>
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let columns: Int
  /// The distance in elements from one row to the next (at least `columns`).
  public let leadingDimension: Int

  /// Creates a view; `leadingDimension` defaults to `columns` (a contiguous matrix).
  public init(_ base: UnsafePointer<Scalar>, rows: Int, columns: Int, leadingDimension: Int? = nil) {
    let ld = leadingDimension ?? columns
    precondition(rows >= 0 && columns >= 0, "MatrixView: negative extent \(rows)×\(columns)")
    precondition(ld >= max(1, columns), "MatrixView: leading dimension \(ld) below column count \(columns)")
    self.base = base
    self.rows = rows
    self.columns = columns
    self.leadingDimension = ld
  }
}

/// A strided, writable view of a row-major matrix (see ``MatrixView``).
public struct MutableMatrixView<Scalar: TensorScalar> {
  /// The first element.
  public let base: UnsafeMutablePointer<Scalar>
  /// The same matrix, read-only.
  public let readOnly: MatrixView<Scalar>
  /// The number of rows.
  public var rows: Int { readOnly.rows }
  /// The number of columns.
  public var columns: Int { readOnly.columns }
  /// The distance in elements from one row to the next (at least `columns`).
  public var leadingDimension: Int { readOnly.leadingDimension }

  /// Creates a view; `leadingDimension` defaults to `columns` (a contiguous matrix).
  public init(_ base: UnsafeMutablePointer<Scalar>, rows: Int, columns: Int, leadingDimension: Int? = nil) {
    self.base = base
    self.readOnly = MatrixView(
      UnsafePointer(base), rows: rows, columns: columns, leadingDimension: leadingDimension)
  }
}

/// Computes `C = alpha · op(A) · op(B) + beta · C` on strided views, where `op` transposes when asked.
///
/// This is the one entry point to the BLAS for matrix products; all other products build on it.
///
/// - Parameters:
///   - a: The left matrix as stored (before `op`).
///   - b: The right matrix as stored (before `op`).
///   - c: The result, `op(A).rows × op(B).columns`.
///   - transposeA: Whether to use `Aᵀ`.
///   - transposeB: Whether to use `Bᵀ`.
///   - alpha: The scale of the product.
///   - beta: The scale of the previous contents of `c` (0 ignores them, even NaN).
/// - Complexity: O(m·n·k) for `op(A)` of shape m×k.
public func gemm<Scalar: TensorScalar>(
  _ a: MatrixView<Scalar>, _ b: MatrixView<Scalar>, _ c: MutableMatrixView<Scalar>,
  transposeA: Bool = false, transposeB: Bool = false, alpha: Scalar = 1, beta: Scalar = 0
) {
  let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
  let (kB, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
  precondition(
    k == kB && c.rows == m && c.columns == n,
    "gemm: op(A) is \(m)×\(k), op(B) is \(kB)×\(n), C is \(c.rows)×\(c.columns)")
  if m == 0 || n == 0 { return }
  if k == 0 {
    for i in 0..<m {
      for j in 0..<n { c.base[i * c.leadingDimension + j] = beta == 0 ? 0 : beta * c.base[i * c.leadingDimension + j] }
    }
    return
  }
  Scalar.blasGemm(
    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
    alpha: alpha, a: a.base, lda: a.leadingDimension, b: b.base, ldb: b.leadingDimension,
    beta: beta, c: c.base, ldc: c.leadingDimension)
}

/// The matrix product `op(A) · op(B)` of two matrices.
///
/// - Complexity: O(m·n·k).
public func matmul<Scalar: TensorScalar>(
  _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool = false, transposeB: Bool = false
) -> Tensor<Scalar> {
  precondition(a.rank == 2 && b.rank == 2, "matmul: shapes \(a.shape) and \(b.shape) are not both matrices")
  let m = transposeA ? a.columns : a.rows
  let n = transposeB ? b.rows : b.columns
  let kA = transposeA ? a.rows : a.columns
  let kB = transposeB ? b.columns : b.rows
  precondition(
    kA == kB,
    "matmul: inner dimensions differ for shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "")")
  var result = Tensor<Scalar>(zeros: [m, n])
  a.scalars.withUnsafeBufferPointer { pa in
    b.scalars.withUnsafeBufferPointer { pb in
      result.scalars.withUnsafeMutableBufferPointer { pc in
        guard let ba = pa.baseAddress, let bb = pb.baseAddress, let bc = pc.baseAddress else { return }
        gemm(
          MatrixView(ba, rows: a.rows, columns: a.columns), MatrixView(bb, rows: b.rows, columns: b.columns),
          MutableMatrixView(bc, rows: m, columns: n), transposeA: transposeA, transposeB: transposeB)
      }
    }
  }
  return result
}

/// The products `op(A[i]) · op(B[i])` for every matrix of two batches of shape `(batch, rows, columns)`.
///
/// - Complexity: O(batch·m·n·k).
public func batchedMatmul<Scalar: TensorScalar>(
  _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool = false, transposeB: Bool = false
) -> Tensor<Scalar> {
  precondition(
    a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0],
    "batchedMatmul: shapes \(a.shape) and \(b.shape) are not two batches of matrices of equal count")
  let batch = a.shape[0]
  let (aRows, aColumns, bRows, bColumns) = (a.shape[1], a.shape[2], b.shape[1], b.shape[2])
  let m = transposeA ? aColumns : aRows
  let n = transposeB ? bRows : bColumns
  precondition(
    (transposeA ? aRows : aColumns) == (transposeB ? bColumns : bRows),
    "batchedMatmul: inner dimensions differ for shapes \(a.shape) and \(b.shape)")
  var result = Tensor<Scalar>(zeros: [batch, m, n])
  a.scalars.withUnsafeBufferPointer { pa in
    b.scalars.withUnsafeBufferPointer { pb in
      result.scalars.withUnsafeMutableBufferPointer { pc in
        guard let ba = pa.baseAddress, let bb = pb.baseAddress, let bc = pc.baseAddress else { return }
        for i in 0..<batch {
          gemm(
            MatrixView(ba + i * aRows * aColumns, rows: aRows, columns: aColumns),
            MatrixView(bb + i * bRows * bColumns, rows: bRows, columns: bColumns),
            MutableMatrixView(bc + i * m * n, rows: m, columns: n),
            transposeA: transposeA, transposeB: transposeB)
        }
      }
    }
  }
  return result
}
