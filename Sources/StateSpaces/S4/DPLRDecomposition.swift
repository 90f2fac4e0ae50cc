import TensorCore

/// The normal-plus-low-rank (NPLR) form of a HiPPO matrix, diagonalized stably into diagonal-plus-low-rank
/// (DPLR): `A = V (Λ − P̃P̃*) V*` with unitary V.
///
/// A rank-r correction P makes `S = A + PPᵀ = −cI + K` with K skew-symmetric (LegS: `P_n = √(n+½)`, c = ½;
/// LegT (θ): `P = r/√θ` split into even and odd indices, c = 0). `H = −iK` is Hermitian, so its
/// eigenvectors are orthonormal; they come from the real symmetric eigendecomposition of `[[0, K], [−K, 0]]`
/// (each eigenvalue w of H appears twice, with vectors `[u; v]`, `z = u + iv`), in Double. `Λ = −c + iw`.
/// Only the N/2 eigenvalues with negative imaginary part are kept; the others are their conjugates.
/// `eig(A)` is never used: LegS's eigenvector matrix has condition 8·10¹⁰ at N = 16.
public struct DPLRDecomposition: Sendable {
  /// The N/2 stored eigenvalues Λ.
  public let eigenvalues: [Complex<Double>]
  /// The rank-r correction in the eigenbasis, `P̃ = V*P`: r rows of N/2.
  public let lowRank: [[Complex<Double>]]
  /// The input vector in the eigenbasis, `B̃ = V*B` (N/2).
  public let input: [Complex<Double>]
  /// The kept eigenvectors V, N rows × N/2 columns, row-major.
  public let vectors: [Complex<Double>]
  /// The real correction P: r rows of N.
  public let correction: [[Double]]
  /// The state size N.
  public let order: Int

  /// Decomposes the HiPPO matrix of a measure.
  ///
  /// - Parameters:
  ///   - measure: ``HiPPOMeasure/legS`` or ``HiPPOMeasure/legT(window:)``.
  ///   - n: N, even and at least 2.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` for another measure or an odd N;
  ///   ``StateSpaceError/numericalFailure(operation:reason:)`` when the eigensolver fails.
  /// - Complexity: O(N³).
  public init(measure: HiPPOMeasure, order n: Int) throws {
    guard n >= 2, n % 2 == 0 else {
      throw StateSpaceError.invalidParameter(operation: "DPLR", parameter: "state size N", value: "\(n)", requirement: "even and at least 2")
    }
    let system = try HiPPO.matrices(measure, order: n)
    let shift: Double
    switch measure {
    case .legS:
      correction = [(0..<n).map { (Double($0) + 0.5).squareRoot() }]
      shift = 0.5
    case .legT(let theta):
      let scale = 1 / theta.squareRoot()
      let r = (0..<n).map { Double(2 * $0 + 1).squareRoot() * scale }
      correction = [(0..<n).map { $0 % 2 == 0 ? r[$0] : 0 }, (0..<n).map { $0 % 2 == 1 ? r[$0] : 0 }]
      shift = 0
    default:
      throw StateSpaceError.invalidParameter(operation: "DPLR", parameter: "measure", value: measure.name, requirement: "legs or legt (the measures with a decomposition here)")
    }
    // K = A + PPᵀ + cI is skew-symmetric; its eigenvectors come from the real symmetric embedding
    // E = [[0, K], [−K, 0]]: E[u; v] = w[u; v] gives K(u + iv) = iw(u + iv). zheevd on H = −iK would do it in
    // one N × N call, but OpenBLAS 0.3.21 crashes inside it (zgemv_n in zhetrd) for some heap layouts.
    let size = 2 * n
    var embedding = [Double](repeating: 0, count: size * size)
    for i in 0..<n {
      for k in 0..<n {
        var skew = system.a.scalars[i * n + k] + (i == k ? shift : 0)
        for p in correction { skew += p[i] * p[k] }
        embedding[i * size + n + k] = skew
        embedding[(n + i) * size + k] = -skew
      }
    }
    let (values, eigenvectors): ([Double], Tensor<Double>)
    do {
      (values, eigenvectors) = try symmetricEigendecomposition(Tensor(shape: [size, size], scalars: embedding))
    } catch {
      throw StateSpaceError.numericalFailure(operation: "DPLR", reason: "eigendecomposition of the skew part failed: \(error)")
    }
    // Ascending eigenvalues: the first N are the N/2 negative w, each twice; take every other one.
    let half = n / 2
    var kept: [Complex<Double>] = []
    var basis = [Complex<Double>](repeating: .zero, count: n * half)
    eigenvectors.scalars.withUnsafeBufferPointer { v in
      for j in 0..<half {
        let column = 2 * j
        kept.append(Complex(-shift, values[column]))
        for i in 0..<n { basis[i * half + j] = Complex(v[i * size + column], v[(n + i) * size + column]) }
      }
    }
    func project(_ x: [Double]) -> [Complex<Double>] {
      (0..<half).map { j in
        var sum = Complex<Double>.zero
        for i in 0..<n { sum += x[i] * basis[i * half + j].conjugate }
        return sum
      }
    }
    eigenvalues = kept
    vectors = basis
    lowRank = correction.map(project)
    input = project(system.b)
    order = n
  }

  /// A real output row C in the eigenbasis: `C V` (N/2 entries).
  ///
  /// - Parameter c: The real row, N entries.
  /// - Returns: The stored half of `C V`.
  /// - Throws: ``StateSpaceError`` when C does not have N finite entries.
  public func projectedOutput(_ c: [Double]) throws -> [Complex<Double>] {
    guard c.count == order else { throw StateSpaceError.countMismatch(operation: "S4", tensor: "C", count: c.count, expected: order) }
    try StateSpaceValidation.requireFinite(c, operation: "S4", tensor: "C")
    let half = order / 2
    return (0..<half).map { j in
      var sum = Complex<Double>.zero
      for i in 0..<order { sum += c[i] * vectors[i * half + j] }
      return sum
    }
  }

  /// `A` rebuilt from the decomposition: `2·Re(V Λ V*) − PPᵀ` (the conjugate half supplies the other terms).
  ///
  /// With `W = VΛ`, `Re(W V*) = Re W (Re V)ᵀ + Im W (Im V)ᵀ`: one real product of N × N inner dimension.
  ///
  /// - Returns: The N × N matrix.
  /// - Complexity: O(N³), one BLAS product.
  public func reconstructedMatrix() -> Tensor<Double> {
    let half = order / 2
    // Rows [2 Re W | 2 Im W] and [Re V | Im V], N × N each.
    var scaled = [Double](repeating: 0, count: order * order)
    var basis = [Double](repeating: 0, count: order * order)
    for i in 0..<order {
      for j in 0..<half {
        let v = vectors[i * half + j]
        let w = v * eigenvalues[j]
        (scaled[i * order + j], scaled[i * order + half + j]) = (2 * w.real, 2 * w.imaginary)
        (basis[i * order + j], basis[i * order + half + j]) = (v.real, v.imaginary)
      }
    }
    var a = matmul(
      Tensor(shape: [order, order], scalars: scaled), Tensor(shape: [order, order], scalars: basis), transposeB: true
    ).scalars
    for i in 0..<order {
      for k in 0..<order {
        for p in correction { a[i * order + k] -= p[i] * p[k] }
      }
    }
    return Tensor(shape: [order, order], scalars: a)
  }
}

extension DPLRDecomposition {
  /// The S4 channel of the real system `(A, B, C)` with step Δ and kernel length L: C̃ = C(I − Āᴸ) of the
  /// bilinear discretization, projected onto the eigenbasis, so that the S4 kernel equals `C Āʲ B̄`, `j < L`.
  ///
  /// - Parameters:
  ///   - c: The real output row, N entries.
  ///   - step: Δ.
  ///   - length: L.
  /// - Returns: The channel.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` for a step that is not positive and finite or L < 1;
  ///   ``StateSpaceError`` for a C that does not have N finite entries.
  /// - Complexity: O(N³ log L) (`Āᴸ` by repeated squaring).
  public func channel(output c: [Double], step: Double, length: Int) throws -> S4Channel {
    guard c.count == order else { throw StateSpaceError.countMismatch(operation: "S4", tensor: "C", count: c.count, expected: order) }
    try StateSpaceValidation.requireFinite(c, operation: "S4", tensor: "C")
    guard length >= 1 else { throw StateSpaceError.invalidParameter(operation: "S4", parameter: "length L", value: "\(length)", requirement: "at least 1") }
    let discrete = try StateSpaceMatrices(a: reconstructedMatrix(), b: [Double](repeating: 0, count: order))
      .discretized(step: step, method: .bilinear)
    let row = matmul(Tensor(shape: [1, order], scalars: c), DenseAlgebra.power(discrete.a, length))
    return try S4Channel(
      eigenvalues: eigenvalues, lowRank: lowRank, input: input,
      output: try projectedOutput(zip(c, row.scalars).map { $0 - $1 }), step: step)
  }
}
