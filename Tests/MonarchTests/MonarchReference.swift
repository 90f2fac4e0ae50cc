import Monarch
import TensorCore

/// The Monarch forward multiply written out from the reference einsum (`blockdiag_butterfly_multiply`, version
/// 2) with zero padding and truncation, in `Double`, one scalar at a time: the oracle for the fast kernels.
func referenceMultiply<S: TensorScalar>(_ x: Tensor<S>, _ m: MonarchMatrix<S>) -> Tensor<Double> {
  let layout = m.layout
  let (k, l, p, q, s, r) = (
    layout.inBlocks, layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize,
    layout.secondBlockColumns
  )
  let batch = x.shape[0]
  var y = Tensor<Double>(zeros: [batch, layout.outFeatures])
  for b in 0..<batch {
    // out1[b, kk, qq] = Σ_pp w1[kk, qq, pp] · xpad[b, kk·p + pp]
    var h = [Double](repeating: 0, count: k * q)
    for kk in 0..<k {
      for qq in 0..<q {
        for pp in 0..<p where kk * p + pp < layout.inFeatures {
          h[kk * q + qq] += Double(m.w1[kk, qq, pp]) * Double(x[b, kk * p + pp])
        }
      }
    }
    // rearrange 'b (r l) -> b l r', then out[b, ss, ll] = Σ_rr w2[ll, ss, rr] · g[b, ll, rr], flattened (s l).
    for ll in 0..<l {
      for ss in 0..<s where ss * l + ll < layout.outFeatures {
        var sum = 0.0
        for rr in 0..<r { sum += Double(m.w2[ll, ss, rr]) * h[rr * l + ll] }
        y[b, ss * l + ll] = sum
      }
    }
  }
  return y
}

/// The dense matrix of the reference multiply: row `i` of `M` is the image of the unit vector `e_i`, transposed.
func referenceDense<S: TensorScalar>(_ m: MonarchMatrix<S>) -> Tensor<Double> {
  referenceMultiply(Tensor<S>(identity: m.layout.inFeatures), m).transposed()
}

/// The Sylvester–Hadamard matrix of order `2^power` with entries ±1.
func hadamard(power: Int) -> Tensor<Double> {
  var h = Tensor<Double>(repeating: 1, shape: [1, 1])
  for _ in 0..<power { h = kronecker(Tensor<Double>(shape: [2, 2], scalars: [1, 1, 1, -1]), h) }
  return h
}

/// The Kronecker product `A ⊗ B`.
func kronecker<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
  let (a1, a2, b1, b2) = (a.rows, a.columns, b.rows, b.columns)
  return Tensor<S>(shape: [a1 * b1, a2 * b2]) { index in
    let (row, column) = (index / (a2 * b2), index % (a2 * b2))
    return a[row / b1, column / b2] * b[row % b1, column % b2]
  }
}
