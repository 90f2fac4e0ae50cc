import CKernels
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
/// Rank-1 slices of a `Float` matrix (the paper's square class) need only the top singular pair: 12 Lanczos
/// steps on the slice's Gram matrix in vectorized single precision, accepted when a rigorous residual bound
/// certifies it, otherwise refined by Lanczos in `Double` to an a-posteriori bound (captured energy within
/// about 1e-10·σ₁² of the optimum, singular vectors within 1e-5), otherwise (gaps too small to converge in 48 steps)
/// LAPACK's SVD of the slice. Higher ranks, and `Double` matrices, take LAPACK's SVD of each slice in `Double`. Padded rows and
/// columns (sizes the blocks do not divide) are left out of the slices, so their factor entries are zero and
/// the result is optimal for the unpadded matrix.
///
/// - Parameters:
///   - w: The dense `out × in` matrix.
///   - layout: The target layout; its features must match `w`'s shape.
///   - name: What to call `w` in error messages (a file or tensor name).
/// - Returns: The factors and the exact error.
/// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `w` is not a matrix of the layout's
///   shape, ``MonarchError/nonFinite(argument:index:value:)`` naming `name` when it holds NaN or infinity (the
///   factors would be meaningless), ``MonarchError/decompositionFailed(argument:reason:)`` when a slice's SVD
///   fails.
/// - Complexity: O(in·out) for rank-1 `Float` slices, O(in·out·min(s, p)) for the SVD path; slices run in
///   parallel on all cores.
@_specialize(exported:true,where Scalar == Float)
@_specialize(exported:true,where Scalar == Double)
public func project<Scalar: TensorScalar>(
  _ w: Tensor<Scalar>, onto layout: MonarchLayout, name: String = "matrix"
) throws -> MonarchProjection<Scalar> {
  guard w.shape == [layout.outFeatures, layout.inFeatures] else {
    throw MonarchError.shapeMismatch(
      argument: name, shape: w.shape, expected: "[\(layout.outFeatures), \(layout.inFeatures)] for \(layout)")
  }
  var w1 = [Double](repeating: 0, count: layout.firstFactorShape.reduce(1, *))
  var w2 = [Double](repeating: 0, count: layout.secondFactorShape.reduce(1, *))
  var sliceErrors = [Double](repeating: 0, count: layout.inBlocks * layout.outBlocks)
  var sliceNorms = sliceErrors
  var failures = [String?](repeating: nil, count: sliceErrors.count)
  w.scalars.withUnsafeBufferPointer { pw in
    w1.withUnsafeMutableBufferPointer { p1 in
      w2.withUnsafeMutableBufferPointer { p2 in
        sliceErrors.withUnsafeMutableBufferPointer { pe in
          sliceNorms.withUnsafeMutableBufferPointer { pn in
            failures.withUnsafeMutableBufferPointer { pf in
              let raw = UnsafeRawPointer(pw.baseAddress!)
              let source: SliceProjector.Source =
                Scalar.self == Float.self
                ? .float(raw.assumingMemoryBound(to: Float.self))
                : .double(raw.assumingMemoryBound(to: Double.self))
              let projector = SliceProjector(
                layout: layout, source: source, w1: p1.baseAddress!, w2: p2.baseAddress!, errors: pe.baseAddress!,
                norms: pn.baseAddress!, failures: pf.baseAddress!)
              parallelFor(layout.inBlocks * layout.outBlocks, minimumChunk: 4) { slices in
                var workspace = SliceProjector.Workspace(layout: layout)
                for slice in slices { projector.project(slice: slice, workspace: &workspace) }
              }
            }
          }
        }
      }
    }
  }
  // Every element lies in exactly one slice, so a NaN or infinity anywhere makes the sum of squares non-finite.
  let squaredNorm = sliceNorms.reduce(0, +)
  if !squaredNorm.isFinite, let index = w.scalars.firstIndex(where: { !$0.isFinite }) {
    throw MonarchError.nonFinite(argument: name, index: index, value: Double(w.scalars[index]))
  }
  if let message = failures.lazy.compactMap({ $0 }).first {
    throw MonarchError.decompositionFailed(argument: name, reason: message)
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
///   - rank: `ρ`; `nil` chooses ``MonarchLayout/defaultRank(inFeatures:outFeatures:inBlocks:outBlocks:)``.
/// - Returns: The factors and the exact error.
/// - Throws: ``MonarchError`` for a layout that does not fit or a matrix that is not finite.
/// - Complexity: See ``project(_:onto:name:)``.
public func project<Scalar: TensorScalar>(
  _ w: Tensor<Scalar>, inBlocks: Int, outBlocks: Int, rank: Int? = nil
) throws -> MonarchProjection<Scalar> {
  guard w.rank == 2 else {
    throw MonarchError.shapeMismatch(argument: "matrix", shape: w.shape, expected: "a 2-D shape")
  }
  let layout = try MonarchLayout(
    inFeatures: w.columns, outFeatures: w.rows, inBlocks: inBlocks, outBlocks: outBlocks,
    rank: rank
      ?? MonarchLayout.defaultRank(
        inFeatures: w.columns, outFeatures: w.rows, inBlocks: inBlocks, outBlocks: outBlocks))
  return try project(w, onto: layout)
}

/// The truncated SVD of one slice at a time, written straight into the factors (held in `Double`).
private struct SliceProjector: @unchecked Sendable {
  /// The dense matrix, by element type, so that the slice loop is concrete code.
  enum Source {
    case float(UnsafePointer<Float>)
    case double(UnsafePointer<Double>)
  }

  /// The Krylov dimension of the rank-1 kernel: within 2e-5 of the exact error on Gaussian 64 × 64 slices.
  static let lanczosSteps: Int32 = 12

  let layout: MonarchLayout
  let source: Source
  let w1: UnsafeMutablePointer<Double>
  let w2: UnsafeMutablePointer<Double>
  let errors: UnsafeMutablePointer<Double>
  let norms: UnsafeMutablePointer<Double>
  let failures: UnsafeMutablePointer<String?>

  /// Per-task scratch memory for the rank-1 kernel, reused across slices.
  struct Workspace {
    var lanczos: [Float]
    var u: [Double]
    var v: [Double]
    var dense: [Double]

    init(layout: MonarchLayout) {
      let (rows, columns) = (Int32(layout.outBlockSize), Int32(layout.inBlockSize))
      lanczos = [Float](
        repeating: 0, count: sml_monarch_top_singular_workspace(rows, columns, SliceProjector.lanczosSteps))
      u = [Double](repeating: 0, count: layout.outBlockSize)
      v = [Double](repeating: 0, count: layout.inBlockSize)
      dense = [Double](repeating: 0, count: layout.outBlockSize * layout.inBlockSize)
    }
  }

  /// Writes the triple `σ, u, v` as the rank-1 term of middle index `t`: `w1[t] = √σ vᵀ`, `w2[·, t div l] = √σ u`.
  private func store(
    sigma: Double, u: (Int) -> Double, v: (Int) -> Double, middle t: Int, outBlock ll: Int, rows: Int, columns: Int
  ) {
    let root = sigma.squareRoot()
    let (p, s, r, l) = (layout.inBlockSize, layout.outBlockSize, layout.secondBlockColumns, layout.outBlocks)
    for pp in 0..<columns { w1[t * p + pp] = root * v(pp) }
    for ss in 0..<rows { w2[(ll * s + ss) * r + t / l] = root * u(ss) }
  }

  /// The rank-1 term of a `Float` slice by the vectorized Lanczos kernel, certified or refined; `false` when
  /// neither certifies the result and the slice needs the exact SVD.
  ///
  /// The kernel's pair `(σ, u, v)` with `u = A v / σ` is accepted when its residual `ρ = ‖AᵀA v − σ² v‖` meets
  /// the bound of ``TopSingularPair`` against the rigorous gap bound `λ₁ − λ₂ ≥ 2σ² − ‖A‖²_F` (which holds
  /// because `λ₂ ≤ ‖A‖²_F − λ₁`): slices with a dominant direction pass at once. Others (flat spectra) rerun
  /// Lanczos in `Double` from the kernel's vector until its own bound holds.
  private func projectRankOne(
    _ w: UnsafePointer<Float>, rowStride: Int, rows: Int, columns: Int, slice: Int, middle t: Int, outBlock ll: Int,
    workspace: inout Workspace
  ) -> Bool {
    var norm2 = 0.0
    var error2 = 0.0
    var sigma = 0.0
    workspace.lanczos.withUnsafeMutableBufferPointer { scratch in
      workspace.u.withUnsafeMutableBufferPointer { u in
        workspace.v.withUnsafeMutableBufferPointer { v in
          sigma = sml_monarch_top_singular_f32(
            w, rowStride, Int32(rows), Int32(columns), Self.lanczosSteps, scratch.baseAddress, u.baseAddress,
            v.baseAddress, &norm2, &error2, sml_cpu_vector_level())
        }
      }
    }
    norms[slice] = norm2
    guard norm2 > 0, norm2.isFinite else {
      errors[slice] = norm2  // a zero slice has zero factors; a non-finite one is reported by the caller
      return true
    }
    // ρ = σ·‖Aᵀu − σ v‖ for the kernel's pair.
    var residual2 = 0.0
    for j in 0..<columns {
      var sum = 0.0
      for i in 0..<rows { sum += Double(w[i * rowStride + j]) * workspace.u[i] }
      let difference = sum - sigma * workspace.v[j]
      residual2 += difference * difference
    }
    let residual = sigma * residual2.squareRoot()
    let gapBound = 2 * sigma * sigma - norm2
    if gapBound > 0, residual <= TopSingularPair.tolerance * gapBound {
      store(
        sigma: sigma, u: { workspace.u[$0] }, v: { workspace.v[$0] }, middle: t, outBlock: ll, rows: rows,
        columns: columns)
      errors[slice] = error2
      return true
    }
    for i in 0..<rows {
      for j in 0..<columns { workspace.dense[i * columns + j] = Double(w[i * rowStride + j]) }
    }
    let refined = workspace.dense.withUnsafeBufferPointer { a in
      workspace.v.withUnsafeBufferPointer { v in
        TopSingularPair(a.baseAddress!, rows: rows, columns: columns, start: v.baseAddress!)
      }
    }
    guard let refined, refined.sigma > 0 else { return false }
    var error = 0.0
    for i in 0..<rows {
      var sum = 0.0
      for j in 0..<columns { sum += workspace.dense[i * columns + j] * refined.v[j] }
      workspace.u[i] = sum / refined.sigma
      for j in 0..<columns {
        let difference = workspace.dense[i * columns + j] - sum * refined.v[j]
        error += difference * difference
      }
    }
    store(
      sigma: refined.sigma, u: { workspace.u[$0] }, v: { refined.v[$0] }, middle: t, outBlock: ll, rows: rows,
      columns: columns)
    errors[slice] = error
    return true
  }

  func project(slice: Int, workspace: inout Workspace) {
    // Consecutive slices share their rows (same ll, next kk), so the strided rows stream through the cache
    // instead of each slice touching `s` pages far apart.
    let (kk, ll) = (slice % layout.inBlocks, slice / layout.inBlocks)
    let (l, p, q) = (layout.outBlocks, layout.inBlockSize, layout.firstBlockRows)
    let rows = (layout.outFeatures - ll + l - 1) / l  // real rows ss with ss·l + ll < out
    let columns = min(p, layout.inFeatures - kk * p)
    let firstOwned = kk * q + (ll - (kk * q) % l + l) % l  // middle indices t ≡ ll (mod l) in [kk·q, (kk+1)·q)
    let owned = Array(Swift.stride(from: firstOwned, to: (kk + 1) * q, by: l))
    let terms = min(owned.count, rows, columns)
    let offset = ll * layout.inFeatures + kk * p
    let rowStride = l * layout.inFeatures
    if case .float(let w) = source, terms == 1,
      projectRankOne(
        w + offset, rowStride: rowStride, rows: rows, columns: columns, slice: slice, middle: owned[0], outBlock: ll,
        workspace: &workspace)
    {
      return
    }
    // Concrete loops: a generic element-by-element initializer runs unspecialized across modules.
    var elements = [Double](repeating: 0, count: rows * columns)
    for i in 0..<rows {
      let start = offset + i * rowStride
      switch source {
      case .float(let w): for j in 0..<columns { elements[i * columns + j] = Double(w[start + j]) }
      case .double(let w): for j in 0..<columns { elements[i * columns + j] = w[start + j] }
      }
    }
    let a = Tensor<Double>(shape: [rows, columns], scalars: elements)
    let norm2 = a.scalars.reduce(0) { $0 + $1 * $1 }
    norms[slice] = norm2
    errors[slice] = norm2
    guard terms > 0, norm2.isFinite else { return }
    do {
      let svd = try singularValueDecomposition(a)
      let (u, vt, uColumns, vtColumns) = (svd.u.scalars, svd.vt.scalars, svd.u.columns, svd.vt.columns)
      for (j, t) in owned.prefix(terms).enumerated() {
        store(
          sigma: svd.singularValues[j], u: { u[$0 * uColumns + j] }, v: { vt[j * vtColumns + $0] }, middle: t,
          outBlock: ll, rows: rows, columns: columns)
      }
      errors[slice] = svd.singularValues.dropFirst(terms).reduce(0) { $0 + $1 * $1 }
    } catch {
      failures[slice] = "slice (\(kk), \(ll)): \(error)"
    }
  }
}
