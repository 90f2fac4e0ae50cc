/// A rank-`rank` approximation of the singular value decomposition by randomized range finding
/// (Halko, Martinsson and Tropp 2011, algorithms 4.4 and 5.1).
///
/// A Gaussian test matrix `Ω` (`n × (rank + oversampling)`) samples the range of `A`; `powerIterations`
/// rounds of `Q ← qr(A · qr(Aᵀ Q))` sharpen it for slowly decaying spectra; the small matrix `B = Qᵀ A` is
/// decomposed exactly and its left factor mapped back:
///
/// ```
/// Y = A Ω,  Q = qr(Y),  B = Qᵀ A = Ũ Σ Vᵀ,  U = Q Ũ   (keep the leading `rank` triplets)
/// ```
///
/// The error is close to the optimal `σ_{rank+1}` when the spectrum decays; the result is deterministic for
/// a given generator state.
///
/// - Parameters:
///   - a: An `m × n` matrix with finite elements.
///   - rank: The number of singular triplets to keep, `1...min(m, n)`.
///   - oversampling: Extra random samples beyond `rank` (10 is the customary choice).
///   - powerIterations: Rounds of subspace iteration (2 suits most weight matrices).
///   - generator: The source of the Gaussian test matrix.
/// - Returns: `u` (`m × rank`), `rank` descending singular values and `vt` (`rank × n`).
/// - Throws: ``LinalgError`` for a non-finite input, a rank outside `1...min(m, n)` or a negative count.
/// - Complexity: O(m·n·(rank + oversampling)·(2 + 2·powerIterations)).
public func truncatedSingularValueDecomposition<S: TensorScalar>(
  _ a: Tensor<S>, rank: Int, oversampling: Int = 10, powerIterations: Int = 2,
  using generator: inout SeededGenerator
) throws -> SingularValueDecomposition<S> {
  let operation = "truncatedSingularValueDecomposition"
  let (m, n) = try Validation.matrixShape(a, operation: operation)
  guard rank >= 1, rank <= min(m, n) else {
    throw LinalgError.invalidRank(operation: operation, rank: rank, shape: a.shape)
  }
  guard oversampling >= 0 else {
    throw LinalgError.invalidParameter(operation: operation, name: "oversampling", value: oversampling)
  }
  guard powerIterations >= 0 else {
    throw LinalgError.invalidParameter(operation: operation, name: "powerIterations", value: powerIterations)
  }
  try Validation.requireFinite(a.scalars, operation: operation, argument: "A of shape \(a.shape)")
  let samples = min(rank + oversampling, min(m, n))
  let omega = Tensor<S>.normal(shape: [n, samples], using: &generator)
  var q = try qrDecomposition(matmul(a, omega)).q
  for _ in 0..<powerIterations {
    let z = try qrDecomposition(matmul(a, q, transposeA: true)).q
    q = try qrDecomposition(matmul(a, z)).q
  }
  let small = try singularValueDecomposition(matmul(q, a, transposeA: true))
  let u = matmul(q, small.u)
  let uTruncated = Tensor<S>(shape: [m, rank]) { u.scalars[($0 / rank) * samples + $0 % rank] }
  let vtTruncated = Tensor<S>(shape: [rank, n], scalars: Array(small.vt.scalars[0..<(rank * n)]))
  return SingularValueDecomposition(
    u: uTruncated, singularValues: Array(small.singularValues[0..<rank]), vt: vtTruncated)
}
