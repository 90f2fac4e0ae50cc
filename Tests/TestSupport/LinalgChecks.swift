import TensorCore

/// The largest elementwise deviation of `QᵀQ` from the identity, for a matrix `Q` whose columns should be
/// orthonormal, accumulated in `Double` with a naive product.
public func orthonormalColumnsError<S: TensorScalar>(_ q: Tensor<S>) -> Double {
  let gram = naiveMatmul(q.transposed(), q)
  return gram.maxAbsDifference(Tensor<Double>(identity: q.columns))
}

/// `U · diag(σ) · Vᵀ` computed with a naive product in `Double`, independent of the library's GEMM.
public func naiveReconstruction<S: TensorScalar>(u: Tensor<S>, values: [S], vt: Tensor<S>) -> Tensor<Double> {
  var scaled = u.converted(to: Double.self)
  for i in 0..<u.rows {
    for j in 0..<values.count { scaled[i, j] *= Double(values[j]) }
  }
  return naiveMatmul(scaled, vt.converted(to: Double.self))
}

/// The naive product of two row-major complex matrices (`m × k` times `k × n`).
public func naiveComplexMatmul(
  _ a: [Complex<Double>], _ b: [Complex<Double>], m: Int, k: Int, n: Int
) -> [Complex<Double>] {
  var c = [Complex<Double>](repeating: .zero, count: m * n)
  for i in 0..<m {
    for j in 0..<n {
      var sum = Complex<Double>.zero
      for p in 0..<k { sum += a[i * k + p] * b[p * n + j] }
      c[i * n + j] = sum
    }
  }
  return c
}

/// The largest modulus of an elementwise difference of two complex arrays of equal length.
public func maxComplexDifference<S: TensorScalar>(_ a: [Complex<S>], _ b: [Complex<S>]) -> Double {
  precondition(a.count == b.count, "maxComplexDifference: lengths \(a.count) and \(b.count)")
  return zip(a, b).map { Double(($0 - $1).length) }.max() ?? 0
}
