import TensorCore

/// The HiPPO state matrices: the `(A, B)` whose state holds the projection of the input history onto an
/// orthogonal basis under a measure.
///
/// With `r_n = √(2n+1)` and the stable (negative) sign:
///
/// ```
/// LegS      A_nk = −r_n r_k (n > k), −(n+1) (n = k), 0 (n < k)        B_n = r_n
/// LegT (θ)  A_nk = −(1/θ) r_n r_k · (1 if n ≥ k else (−1)^{n−k})      B_n = r_n / θ
/// LagT (β)  A = ½I − tril(ones)                                        B_n = β
/// FouT      A = π(−diag(d, +1) + diag(d, −1)) − B Bᵀ                   B = [1, 0, √2, 0, √2, 0, …]
/// ```
///
/// where FouT's superdiagonal `d = [0, 0, 1, 0, 2, 0, …]` couples the cosine `2k` with the sine `2k + 1` at
/// rate `πk` (the conventions of `state-spaces/s4`; index 1, a sine of frequency 0, is constant).
public enum HiPPO {
  /// The largest state size the dense HiPPO matrices accept: `N² = 2²⁸` doubles are 2 GiB, and every use of
  /// them (discretization, the DPLR decomposition) costs O(N³) on top.
  public static let maximumOrder = 16384

  /// The continuous-time matrices of a measure.
  ///
  /// - Parameters:
  ///   - measure: The measure and its time scale.
  ///   - n: The state size N, `1...maximumOrder`.
  /// - Returns: `A` (N × N) and `B` (N).
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when N is outside `1...maximumOrder` or the time scale
  ///   is not positive and finite.
  public static func matrices(_ measure: HiPPOMeasure, order n: Int) throws -> StateSpaceMatrices {
    guard (1...maximumOrder).contains(n) else {
      throw StateSpaceError.invalidParameter(operation: "HiPPO", parameter: "state size N", value: "\(n)", requirement: "in 1...\(maximumOrder)")
    }
    let r = (0..<n).map { Double(2 * $0 + 1).squareRoot() }
    // Filled as a flat row-major array: element writes through the tensor subscript copy its storage.
    var a = [Double](repeating: 0, count: n * n)
    var b = [Double](repeating: 0, count: n)
    switch measure {
    case .legS:
      for i in 0..<n {
        for k in 0..<i { a[i * n + k] = -r[i] * r[k] }
        a[i * n + i] = -Double(i + 1)
      }
      b = r
    case .legT(let theta):
      guard theta > 0, theta.isFinite else {
        throw StateSpaceError.invalidParameter(operation: "HiPPO LegT", parameter: "window θ", value: "\(theta)", requirement: "positive and finite")
      }
      for i in 0..<n {
        for k in 0..<n {
          let sign: Double = i >= k || (i - k) % 2 == 0 ? 1 : -1
          a[i * n + k] = -sign * r[i] * r[k] / theta
        }
      }
      b = r.map { $0 / theta }
    case .lagT(let beta):
      guard beta.isFinite else { throw StateSpaceError.invalidParameter(operation: "HiPPO LagT", parameter: "β", value: "\(beta)", requirement: "finite") }
      for i in 0..<n {
        for k in 0..<i { a[i * n + k] = -1 }
        a[i * n + i] = -0.5
      }
      b = [Double](repeating: beta, count: n)
    case .fouT:
      for i in 0..<n { b[i] = i == 0 ? 1 : (i % 2 == 1 ? 0 : Double(2).squareRoot()) }
      for i in 0..<n {
        for k in 0..<n { a[i * n + k] = -b[i] * b[k] }
      }
      for i in stride(from: 2, to: n, by: 2) where i + 1 < n {
        let frequency = Double.pi * Double(i / 2)
        a[i * n + i + 1] -= frequency
        a[(i + 1) * n + i] += frequency
      }
    }
    return try StateSpaceMatrices(a: Tensor(shape: [n, n], scalars: a), b: b)
  }
}
