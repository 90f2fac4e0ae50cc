import TensorCore

/// The optimal Monarch projection error from a full LAPACK SVD of every slice: the reference that the fast
/// projection's error is checked against.
///
/// - Parameters:
///   - w: The dense `out × in` matrix.
///   - layout: A layout with a uniform slice rank `ρ`.
/// - Returns: `√(Σ_slices Σ_{j ≥ ρ} σ_j²)` with the singular values computed in `Double`.
/// - Throws: ``MonarchError`` when `w` does not fit the layout or the layout has unequal slice ranks.
/// - Complexity: O(k·l·s·p·min(s, p)), slices in parallel on all cores.
@_specialize(exported:true,where Scalar == Float)
@_specialize(exported:true,where Scalar == Double)
public func exactProjectionError<Scalar: TensorScalar>(_ w: Tensor<Scalar>, layout: MonarchLayout) throws -> Double {
  guard w.shape == [layout.outFeatures, layout.inFeatures] else {
    throw MonarchError.shapeMismatch(
      argument: "matrix", shape: w.shape, expected: "[\(layout.outFeatures), \(layout.inFeatures)] for \(layout)")
  }
  guard let rank = layout.sliceRank else {
    throw MonarchError.invalidLayout(reason: "the exact error needs a uniform slice rank, got \(layout)")
  }
  let (l, p) = (layout.outBlocks, layout.inBlockSize)
  let sliceCount = layout.inBlocks * l
  let scalars = w.scalars
  var discarded = [Double](repeating: 0, count: sliceCount)
  var failure: [String?] = Array(repeating: nil, count: sliceCount)
  discarded.withUnsafeMutableBufferPointer { pd in
    failure.withUnsafeMutableBufferPointer { pf in
      let (sums, failures) = (pd.baseAddress!, pf.baseAddress!)
      parallelFor(sliceCount, minimumChunk: 4) { slices in
        for slice in slices {
          let (kk, ll) = (slice / l, slice % l)
          let rows = Array(stride(from: ll, to: layout.outFeatures, by: l))
          let columns = Array((kk * p)..<min((kk + 1) * p, layout.inFeatures))
          var elements = [Double](repeating: 0, count: rows.count * columns.count)
          for (i, row) in rows.enumerated() {
            let start = row * layout.inFeatures
            for (j, column) in columns.enumerated() { elements[i * columns.count + j] = Double(scalars[start + column]) }
          }
          let a = Tensor<Double>(shape: [rows.count, columns.count], scalars: elements)
          do {
            let values = try singularValueDecomposition(a).singularValues
            sums[slice] = values.dropFirst(rank).reduce(0) { $0 + $1 * $1 }
          } catch {
            failures[slice] = "slice (\(kk), \(ll)): \(error)"
          }
        }
      }
    }
  }
  if let message = failure.compactMap({ $0 }).first {
    throw MonarchError.decompositionFailed(argument: "matrix", reason: message)
  }
  return discarded.reduce(0, +).squareRoot()
}
