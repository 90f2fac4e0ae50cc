import TensorCore

/// The nearest Monarch matrix to a dense matrix in Frobenius norm, with the exact error of the approximation.
public struct MonarchProjection<Scalar: TensorScalar>: Sendable {
  /// The Monarch matrix whose factors minimize `‖W − M‖_F` over the layout.
  public let matrix: MonarchMatrix<Scalar>
  /// `‖W − M‖_F`, accumulated in `Double`: the root of the sum of the discarded squared singular values of
  /// every slice.
  public let error: Double
  /// `‖W‖_F`.
  public let norm: Double

  /// `‖W − M‖_F / ‖W‖_F`, or 0 for a zero matrix.
  public var relativeError: Double { norm > 0 ? error / norm : 0 }
}

/// Projects a dense matrix onto a Monarch layout: the optimal factors by a truncated SVD of every slice.
///
/// Slice `A(kk, ll) = W[ll::l, kk·p ..< (kk+1)·p]` owns exactly the rank-1 terms of `w1[kk]` and `w2[ll]` whose
/// middle index `t` satisfies `t div q = kk` and `t mod l = ll`, and no two slices share a parameter, so the
/// best approximation keeps each slice's top singular triples (Eckart–Young, slice by slice):
///
/// ```
/// A(kk, ll) ≈ Σ_{j<ρ} σ_j u_j v_jᵀ,   w2[ll][:, t_j div l] = √σ_j u_j,   w1[kk][t_j − kk·q, :] = √σ_j v_jᵀ
/// error² = Σ_slices Σ_{j≥ρ} σ_j²
/// ```
///
/// Rank-1 slices (the paper's square class) need only the top singular pair: Lanczos on the slice's Gram matrix,
/// no full SVD. Higher ranks diagonalize the Gram matrix by Jacobi rotations in `Double`. Padded rows and
/// columns (sizes the blocks do not divide) are left out of the slices, so their factor entries are zero and
/// the result is optimal for the unpadded matrix.
///
/// - Parameters:
///   - w: The dense `out × in` matrix.
///   - layout: The target layout; its features must match `w`'s shape.
///   - name: What to call `w` in error messages (a file or tensor name).
/// - Returns: The factors and the exact error.
/// - Throws: ``MonarchError/invalidInput(_:)`` when `w` is not a matrix of the layout's shape or holds NaN or
///   infinity.
/// - Complexity: O(in·out·min(s, p)) for the Gram matrices, plus O(k·l·d³) for slices of rank above 1
///   (`d = min(s, p)`); slices run in parallel on all cores.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func project<Scalar: TensorScalar>(
  _ w: Tensor<Scalar>, onto layout: MonarchLayout, name: String = "matrix"
) throws -> MonarchProjection<Scalar> {
  guard w.rank == 2 else { throw MonarchError.invalidInput("\(name) must be a 2-D matrix, got shape \(w.shape)") }
  guard w.shape == [layout.outFeatures, layout.inFeatures] else {
    throw MonarchError.invalidInput(
      "\(name) has shape \(w.shape) but the layout expects [\(layout.outFeatures), \(layout.inFeatures)]")
  }
  if let index = w.scalars.firstIndex(where: { !$0.isFinite }) {
    throw MonarchError.invalidInput(
      "\(name) holds \(w.scalars[index]) at row \(index / w.columns), column \(index % w.columns)")
  }
  var w1 = Tensor<Scalar>(zeros: layout.firstFactorShape)
  var w2 = Tensor<Scalar>(zeros: layout.secondFactorShape)
  var sliceErrors = [Double](repeating: 0, count: layout.inBlocks * layout.outBlocks)
  w.scalars.withUnsafeBufferPointer { pw in
    w1.scalars.withUnsafeMutableBufferPointer { p1 in
      w2.scalars.withUnsafeMutableBufferPointer { p2 in
        sliceErrors.withUnsafeMutableBufferPointer { pe in
          let projector = SliceProjector(
            layout: layout, w: pw.baseAddress!, w1: p1.baseAddress!, w2: p2.baseAddress!, errors: pe.baseAddress!)
          parallelFor(layout.inBlocks * layout.outBlocks, minimumChunk: 4) { slices in
            var workspace = SliceProjector<Scalar>.Workspace(layout: layout)
            for slice in slices { projector.project(slice: slice, workspace: &workspace) }
          }
        }
      }
    }
  }
  let matrix = MonarchMatrix(validated: layout, w1: w1, w2: w2)
  return MonarchProjection(matrix: matrix, error: sliceErrors.reduce(0, +).squareRoot(), norm: w.frobeniusNorm)
}

/// Projects a dense matrix onto the layout with the given blocks and slice rank.
///
/// - Parameters:
///   - w: The dense `out × in` matrix.
///   - inBlocks: `k`.
///   - outBlocks: `l`.
///   - rank: `ρ`; `nil` chooses the default `max(1, min(in, out) / (k·l))`.
/// - Returns: The factors and the exact error.
/// - Throws: ``MonarchError`` for a layout that does not fit or a matrix that is not finite.
/// - Complexity: See ``project(_:onto:name:)``.
public func project<Scalar: TensorScalar>(
  _ w: Tensor<Scalar>, inBlocks: Int, outBlocks: Int, rank: Int? = nil
) throws -> MonarchProjection<Scalar> {
  guard w.rank == 2 else { throw MonarchError.invalidInput("matrix must be 2-D, got shape \(w.shape)") }
  let layout = try MonarchLayout(
    inFeatures: w.columns, outFeatures: w.rows, inBlocks: inBlocks, outBlocks: outBlocks,
    rank: rank ?? max(1, min(w.rows, w.columns) / max(1, inBlocks * outBlocks)))
  return try project(w, onto: layout)
}

/// The truncated SVD of one slice at a time, written straight into the factors.
private struct SliceProjector<Scalar: TensorScalar>: @unchecked Sendable {
  let layout: MonarchLayout
  let w: UnsafePointer<Scalar>
  let w1: UnsafeMutablePointer<Scalar>
  let w2: UnsafeMutablePointer<Scalar>
  let errors: UnsafeMutablePointer<Double>

  /// Per-task scratch memory, reused across slices.
  struct Workspace {
    var gram: [Scalar]
    var gramDouble: [Double]
    var small: [Double]
    var large: [Double]

    init(layout: MonarchLayout) {
      let d = max(layout.inBlockSize, layout.outBlockSize)
      gram = [Scalar](repeating: 0, count: d * d)
      gramDouble = [Double](repeating: 0, count: d * d)
      small = [Double](repeating: 0, count: d)
      large = [Double](repeating: 0, count: d)
    }
  }

  func project(slice: Int, workspace: inout Workspace) {
    let (kk, ll) = (slice / layout.outBlocks, slice % layout.outBlocks)
    let (l, p, q, s, r) = (
      layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize, layout.secondBlockColumns
    )
    let rows = (layout.outFeatures - ll + l - 1) / l  // real rows ss with ss·l + ll < out
    let columns = min(p, layout.inFeatures - kk * p)
    let stride = l * layout.inFeatures
    let a = w + ll * layout.inFeatures + kk * p  // A[ss, pp] = a[ss·stride + pp]
    let owned = (kk * q..<(kk + 1) * q).filter { $0 % l == ll }
    let rightSide = columns <= rows  // diagonalize AᵀA (columns²) or AAᵀ (rows²)
    let d = rightSide ? columns : rows
    let terms = min(owned.count, d)
    var values: [Double] = []
    var vectors: [Double] = []  // `terms` unit vectors of length d
    if terms > 0 {
      workspace.gram.withUnsafeMutableBufferPointer { g in
        let view = MatrixView(a, rows: rows, columns: columns, leadingDimension: stride)
        gemm(view, view, MutableMatrixView(g.baseAddress!, rows: d, columns: d), transposeA: rightSide, transposeB: !rightSide)
      }
      for i in 0..<(d * d) { workspace.gramDouble[i] = Double(workspace.gram[i]) }
      if terms == 1 {
        vectors = [Double](repeating: 0, count: d)
        let value = workspace.gramDouble.withUnsafeBufferPointer { g in
          vectors.withUnsafeMutableBufferPointer { v in
            SymmetricEigen.topEigenpair(g.baseAddress!, order: d, steps: 24, vector: v.baseAddress!)
          }
        }
        values = [value]
      } else {
        let eigen = SymmetricEigen.jacobi(Array(workspace.gramDouble[0..<(d * d)]), order: d)
        values = Array(eigen.values[0..<terms])
        vectors = Array(eigen.vectors[0..<(terms * d)])
      }
    }
    // For each term: the other singular vector is A·v (or Aᵀ·u); its norm is σ.
    var residual = [Double](repeating: 0, count: rows * columns)
    for ss in 0..<rows {
      for pp in 0..<columns { residual[ss * columns + pp] = Double(a[ss * stride + pp]) }
    }
    for j in 0..<terms where values[j] > 0 {
      var u = [Double](repeating: 0, count: rows)
      var v = [Double](repeating: 0, count: columns)
      if rightSide {
        for pp in 0..<columns { v[pp] = vectors[j * d + pp] }
        for ss in 0..<rows { for pp in 0..<columns { u[ss] += Double(a[ss * stride + pp]) * v[pp] } }
      } else {
        for ss in 0..<rows { u[ss] = vectors[j * d + ss] }
        for ss in 0..<rows { for pp in 0..<columns { v[pp] += Double(a[ss * stride + pp]) * u[ss] } }
      }
      let sigma = (rightSide ? u : v).reduce(0) { $0 + $1 * $1 }.squareRoot()
      guard sigma > 0 else { continue }
      if rightSide { u = u.map { $0 / sigma } } else { v = v.map { $0 / sigma } }
      let root = sigma.squareRoot()
      let t = owned[j]
      for pp in 0..<columns { w1[t * p + pp] = Scalar(root * v[pp]) }
      for ss in 0..<rows { w2[(ll * s + ss) * r + t / l] = Scalar(root * u[ss]) }
      for ss in 0..<rows {
        for pp in 0..<columns { residual[ss * columns + pp] -= sigma * u[ss] * v[pp] }
      }
    }
    errors[slice] = residual.reduce(0) { $0 + $1 * $1 }
  }
}
