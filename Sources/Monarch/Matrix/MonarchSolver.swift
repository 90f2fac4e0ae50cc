import TensorCore

/// Solves `M x = y` for an invertible Monarch matrix with square blocks, by inverting the factors one block at
/// a time: `M⁻¹ = blockdiag(w1)⁻¹ · Π_mid⁻¹ · blockdiag(w2)⁻¹ · Π_out⁻¹` (Su's `R⁻¹ P L⁻¹ P` in the square
/// class).
///
/// The blocks are LU-factorized once (partial pivoting, in `Double`); each solve then costs two block
/// triangular solves per factor.
///
/// ```swift
/// let solver = try MonarchSolver(m)
/// let x = try solver.solve(y)    // rows: y = x Mᵀ  ⇒  x
/// ```
public struct MonarchSolver<Scalar: TensorScalar>: Sendable {
  /// The matrix being inverted.
  public let matrix: MonarchMatrix<Scalar>
  private let first: [BlockLU]
  private let second: [BlockLU]

  /// Factorizes the blocks of `matrix`.
  ///
  /// - Parameter matrix: A square Monarch matrix without padding whose blocks are square: `q = p`, `s = r`.
  /// - Throws: ``MonarchError/invalidLayout(reason:)`` for blocks that are not square, or
  ///   ``MonarchError/singularBlock(factor:block:)`` naming the first singular block.
  /// - Complexity: O(k·p³ + l·s³); `O(n²)` for the square class with `√n` blocks.
  public init(_ matrix: MonarchMatrix<Scalar>) throws {
    let layout = matrix.layout
    guard layout.firstBlockRows == layout.inBlockSize, layout.outBlockSize == layout.secondBlockColumns,
      layout.paddedInFeatures == layout.inFeatures, layout.paddedOutFeatures == layout.outFeatures
    else {
      throw MonarchError.invalidLayout(reason: "solve needs square blocks without padding, got \(layout)")
    }
    func factorize(_ factor: Tensor<Scalar>, name: String) throws -> [BlockLU] {
      let (blocks, n) = (factor.shape[0], factor.shape[1])
      return try (0..<blocks).map { block in
        let entries = factor.scalars[(block * n * n)..<((block + 1) * n * n)].map { Double($0) }
        guard let lu = BlockLU(entries, order: n) else {
          throw MonarchError.singularBlock(factor: name, block: block)
        }
        return lu
      }
    }
    self.matrix = matrix
    first = try factorize(matrix.w1, name: "w1")
    second = try factorize(matrix.w2, name: "w2")
  }

  /// The rows `x` with `y = x Mᵀ`, that is `M xᵀ = yᵀ` row by row.
  ///
  /// - Parameter y: Shape `(batch, n)`.
  /// - Returns: Shape `(batch, n)`.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `y` is not `(batch, n)`.
  /// - Complexity: O(batch·(k·p² + l·s²)); `O(n^1.5)` per row for the square class.
  public func solve(_ y: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let layout = matrix.layout
    let n = layout.inFeatures
    _ = try matrix.checkRows(y, width: n, argument: "solve right-hand side")
    let (k, l, p, s) = (layout.inBlocks, layout.outBlocks, layout.inBlockSize, layout.outBlockSize)
    var x = Tensor<Scalar>(zeros: y.shape)
    var z = [Double](repeating: 0, count: s)
    var h = [Double](repeating: 0, count: n)
    for b in 0..<y.shape[0] {
      for ll in 0..<l {
        for ss in 0..<s { z[ss] = Double(y.scalars[b * n + ss * l + ll]) }
        let g = second[ll].solve(z)  // g[rr] = h[rr·l + ll]
        for (rr, value) in g.enumerated() { h[rr * l + ll] = value }
      }
      for kk in 0..<k {
        let block = first[kk].solve(Array(h[(kk * p)..<((kk + 1) * p)]))
        for (pp, value) in block.enumerated() { x.scalars[b * n + kk * p + pp] = Scalar(value) }
      }
    }
    return x
  }
}

/// The LU factorization `P A = L U` of one square block, with partial pivoting.
private struct BlockLU: Sendable {
  let order: Int
  let lu: [Double]
  let pivots: [Int]

  /// Factorizes the row-major `order × order` matrix, or returns `nil` when a pivot vanishes.
  init?(_ matrix: [Double], order n: Int) {
    var a = matrix
    var pivots = [Int](repeating: 0, count: n)
    let scale = max(matrix.reduce(0) { max($0, abs($1)) }, Double.leastNormalMagnitude)
    for column in 0..<n {
      var pivot = column
      for row in column..<n where abs(a[row * n + column]) > abs(a[pivot * n + column]) { pivot = row }
      guard abs(a[pivot * n + column]) > 1e-13 * scale else { return nil }
      pivots[column] = pivot
      if pivot != column { for j in 0..<n { a.swapAt(column * n + j, pivot * n + j) } }
      for row in (column + 1)..<max(column + 1, n) {
        let factor = a[row * n + column] / a[column * n + column]
        a[row * n + column] = factor
        for j in (column + 1)..<n { a[row * n + j] -= factor * a[column * n + j] }
      }
    }
    self.order = n
    self.lu = a
    self.pivots = pivots
  }

  /// The solution of `A x = b`.
  func solve(_ rhs: [Double]) -> [Double] {
    let n = order
    var x = rhs
    for i in 0..<n where pivots[i] != i { x.swapAt(i, pivots[i]) }
    for i in 0..<n { for j in 0..<i { x[i] -= lu[i * n + j] * x[j] } }
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in (i + 1)..<max(i + 1, n) { x[i] -= lu[i * n + j] * x[j] }
      x[i] /= lu[i * n + i]
    }
    return x
  }
}
