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
@_specialize(exported:true,where Scalar == Float)
@_specialize(exported:true,where Scalar == Double)
public func project<Scalar: TensorScalar>(
  _ w: Tensor<Scalar>, onto layout: MonarchLayout, name: String = "matrix"
) throws -> MonarchProjection<Scalar> {
  guard w.rank == 2 else {
    throw MonarchError.invalidInput("\(name) must be a 2-D matrix, got shape \(w.shape)")
  }
  guard w.shape == [layout.outFeatures, layout.inFeatures] else {
    throw MonarchError.invalidInput(
      "\(name) has shape \(w.shape) but the layout expects [\(layout.outFeatures), \(layout.inFeatures)]"
    )
  }
  var w1 = [Double](repeating: 0, count: layout.firstFactorShape.reduce(1, *))
  var w2 = [Double](repeating: 0, count: layout.secondFactorShape.reduce(1, *))
  var sliceErrors = [Double](repeating: 0, count: layout.inBlocks * layout.outBlocks)
  var sliceNorms = sliceErrors
  w.scalars.withUnsafeBufferPointer { pw in
    w1.withUnsafeMutableBufferPointer { p1 in
      w2.withUnsafeMutableBufferPointer { p2 in
        sliceErrors.withUnsafeMutableBufferPointer { pe in
          sliceNorms.withUnsafeMutableBufferPointer { pn in
            let raw = UnsafeRawPointer(pw.baseAddress!)
            let source: SliceProjector.Source =
              Scalar.self == Float.self
              ? .float(raw.assumingMemoryBound(to: Float.self))
              : .double(raw.assumingMemoryBound(to: Double.self))
            let projector = SliceProjector(
              layout: layout, source: source, w1: p1.baseAddress!, w2: p2.baseAddress!,
              errors: pe.baseAddress!,
              norms: pn.baseAddress!)
            parallelFor(layout.inBlocks * layout.outBlocks, minimumChunk: 4) { slices in
              var workspace = SliceProjector.Workspace(layout: layout)
              for slice in slices { projector.project(slice: slice, workspace: &workspace) }
            }
          }
        }
      }
    }
  }
  // Every element lies in exactly one slice, so a NaN or infinity anywhere makes the sum of squares non-finite.
  let squaredNorm = sliceNorms.reduce(0, +)
  if !squaredNorm.isFinite, let index = w.scalars.firstIndex(where: { !$0.isFinite }) {
    throw MonarchError.invalidInput(
      "\(name) holds \(w.scalars[index]) at row \(index / w.columns), column \(index % w.columns)")
  }
  let matrix = MonarchMatrix(
    validated: layout,
    w1: Tensor(shape: layout.firstFactorShape, scalars: converted(w1, to: Scalar.self)),
    w2: Tensor(shape: layout.secondFactorShape, scalars: converted(w2, to: Scalar.self)))
  return MonarchProjection(
    matrix: matrix, error: sliceErrors.reduce(0, +).squareRoot(), norm: squaredNorm.squareRoot())
}

/// `Double` values as `Float` or `Double`, through concrete conversions (no per-element generic dispatch).
private func converted<Scalar: TensorScalar>(_ values: [Double], to type: Scalar.Type) -> [Scalar] {
  if let same = values as? [Scalar] { return same }
  if let single = values.map({ Float($0) }) as? [Scalar] { return single }
  return values.map { Scalar($0) }
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
  guard w.rank == 2 else {
    throw MonarchError.invalidInput("matrix must be 2-D, got shape \(w.shape)")
  }
  let layout = try MonarchLayout(
    inFeatures: w.columns, outFeatures: w.rows, inBlocks: inBlocks, outBlocks: outBlocks,
    rank: rank ?? max(1, min(w.rows, w.columns) / max(1, inBlocks * outBlocks)))
  return try project(w, onto: layout)
}

/// The truncated SVD of one slice at a time, written straight into the factors (held in `Double`).
private struct SliceProjector: @unchecked Sendable {
  /// The dense matrix, by element type, so that the slice loop is concrete code.
  enum Source {
    case float(UnsafePointer<Float>)
    case double(UnsafePointer<Double>)
  }

  let layout: MonarchLayout
  let source: Source
  let w1: UnsafeMutablePointer<Double>
  let w2: UnsafeMutablePointer<Double>
  let errors: UnsafeMutablePointer<Double>
  let norms: UnsafeMutablePointer<Double>

  /// Per-task scratch memory, reused across slices.
  struct Workspace {
    var slice: [Double]
    var gram: [Double]
    var u: [Double]
    var v: [Double]

    init(layout: MonarchLayout) {
      let d = max(layout.inBlockSize, layout.outBlockSize)
      slice = [Double](repeating: 0, count: layout.inBlockSize * layout.outBlockSize)
      gram = [Double](repeating: 0, count: d * d)
      u = [Double](repeating: 0, count: layout.outBlockSize)
      v = [Double](repeating: 0, count: layout.inBlockSize)
    }
  }

  /// Copies `A[ss, pp] = W[ss·l + ll, kk·p + pp]` into a contiguous `rows × columns` buffer.
  func load(offset: Int, rows: Int, columns: Int, stride: Int, into a: UnsafeMutablePointer<Double>)
  {
    switch source {
    case .float(let w):
      for ss in 0..<rows {
        for pp in 0..<columns { a[ss * columns + pp] = Double(w[offset + ss * stride + pp]) }
      }
    case .double(let w):
      for ss in 0..<rows {
        for pp in 0..<columns { a[ss * columns + pp] = w[offset + ss * stride + pp] }
      }
    }
  }

  func project(slice: Int, workspace: inout Workspace) {
    let (kk, ll) = (slice / layout.outBlocks, slice % layout.outBlocks)
    let (l, p, q, s, r) = (
      layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize,
      layout.secondBlockColumns
    )
    let rows = (layout.outFeatures - ll + l - 1) / l  // real rows ss with ss·l + ll < out
    let columns = min(p, layout.inFeatures - kk * p)
    let firstOwned = kk * q + (ll - (kk * q) % l + l) % l  // middle indices t ≡ ll (mod l) in [kk·q, (kk+1)·q)
    let owned = Array(Swift.stride(from: firstOwned, to: (kk + 1) * q, by: l))
    let rightSide = columns <= rows  // diagonalize AᵀA (columns²) or AAᵀ (rows²)
    let d = rightSide ? columns : rows
    let terms = min(owned.count, d)
    workspace.slice.withUnsafeMutableBufferPointer { pa in
      workspace.gram.withUnsafeMutableBufferPointer { pg in
        workspace.u.withUnsafeMutableBufferPointer { pu in
          workspace.v.withUnsafeMutableBufferPointer { pv in
            let (a, g, u, v) = (pa.baseAddress!, pg.baseAddress!, pu.baseAddress!, pv.baseAddress!)
            load(
              offset: ll * layout.inFeatures + kk * p, rows: rows, columns: columns,
              stride: l * layout.inFeatures,
              into: a)
            var error = 0.0
            for i in 0..<(rows * columns) { error += a[i] * a[i] }
            norms[slice] = error
            guard terms > 0, error.isFinite else {
              errors[slice] = error
              return
            }
            let view = MatrixView(UnsafePointer(a), rows: rows, columns: columns)
            gemm(
              view, view, MutableMatrixView(g, rows: d, columns: d), transposeA: rightSide,
              transposeB: !rightSide)
            var vectors: [Double]
            if terms == 1 {
              vectors = [Double](repeating: 0, count: d)
              _ = vectors.withUnsafeMutableBufferPointer {
                SymmetricEigen.topEigenpair(g, order: d, steps: 12, vector: $0.baseAddress!)
              }
            } else {
              vectors = Array(
                SymmetricEigen.jacobi(Array(UnsafeBufferPointer(start: g, count: d * d)), order: d)
                  .vectors[0..<(terms * d)])
            }
            for j in 0..<terms {
              // The other singular vector is A·v (or Aᵀ·u); its norm is σ.
              for i in 0..<columns { v[i] = 0 }
              for i in 0..<rows { u[i] = 0 }
              if rightSide {
                for pp in 0..<columns { v[pp] = vectors[j * d + pp] }
                for ss in 0..<rows {
                  for pp in 0..<columns { u[ss] += a[ss * columns + pp] * v[pp] }
                }
              } else {
                for ss in 0..<rows { u[ss] = vectors[j * d + ss] }
                for ss in 0..<rows {
                  for pp in 0..<columns { v[pp] += a[ss * columns + pp] * u[ss] }
                }
              }
              let other = rightSide ? u : v
              let sigma = SymmetricEigen.dot(other, other, count: rightSide ? rows : columns)
                .squareRoot()
              guard sigma > 0 else { continue }
              for i in 0..<(rightSide ? rows : columns) { other[i] /= sigma }
              let root = sigma.squareRoot()
              let t = owned[j]
              for pp in 0..<columns { w1[t * p + pp] = root * v[pp] }
              for ss in 0..<rows { w2[(ll * s + ss) * r + t / l] = root * u[ss] }
              // Deflate: the residual A − σ u vᵀ, whose squared norm is the error of the slice.
              for ss in 0..<rows {
                for pp in 0..<columns { a[ss * columns + pp] -= sigma * u[ss] * v[pp] }
              }
            }
            error = 0
            for i in 0..<(rows * columns) { error += a[i] * a[i] }
            errors[slice] = error
          }
        }
      }
    }
  }
}
