import TensorCore

/// One S4 channel in diagonal-plus-low-rank form: `A = Λ − P̃P̃*` over N/2 stored modes and their conjugates,
/// with input `B̃`, truncation-corrected output `C̃ = C(I − Āᴸ)` and step Δ (bilinear discretization).
public struct S4Channel: Sendable {
  /// The N/2 stored eigenvalues Λ.
  public var eigenvalues: [Complex<Double>]
  /// The low-rank term P̃: r rows (r ≤ 2) of N/2.
  public var lowRank: [[Complex<Double>]]
  /// The input vector B̃ (N/2).
  public var input: [Complex<Double>]
  /// The corrected output vector C̃ (N/2).
  public var output: [Complex<Double>]
  /// The step Δ.
  public var step: Double

  /// Creates a channel.
  ///
  /// - Parameters:
  ///   - eigenvalues: Λ.
  ///   - lowRank: P̃, one or two rows as long as Λ.
  ///   - input: B̃.
  ///   - output: C̃.
  ///   - step: Δ, positive and finite.
  /// - Throws: ``StateSpaceError`` when the sizes disagree, the rank is not 1 or 2, or Δ is bad.
  public init(
    eigenvalues: [Complex<Double>], lowRank: [[Complex<Double>]], input: [Complex<Double>],
    output: [Complex<Double>], step: Double
  ) throws {
    let m = eigenvalues.count
    guard m > 0, (1...2).contains(lowRank.count), lowRank.allSatisfy({ $0.count == m }), input.count == m,
      output.count == m
    else {
      throw StateSpaceError.invalidInput(
        "S4: Λ has \(m) entries; P̃ (rank \(lowRank.count)), B̃ (\(input.count)) and C̃ (\(output.count)) must match")
    }
    try StateSpaceMatrices.validate(step: step)
    (self.eigenvalues, self.lowRank, self.input, self.output, self.step) = (eigenvalues, lowRank, input, output, step)
  }
}

/// The S4 convolution kernel: the truncated generating function at the roots of unity by Cauchy sums and a
/// Woodbury correction, then an inverse real FFT.
///
/// For `ω_k = e^{−2πik/L}`, `k = 0 … L/2`, with `s = (2/Δ)(1 − ω)`, `t = 1 + ω`:
///
/// ```
/// ĉk(u, v) = Σ_i 2u_i v_i/(s − λ_i t) + conjugate terms
///          = Σ_i 4[Re(u_i v_i) s − Re(u_i v_i λ̄_i) t] / (s² − 2Re(λ_i) st + |λ_i|² t²)
/// K̂(ω)     = ĉk(C̃, B̃) − ĉk(C̃, P̃) · (I + ½t·ĉk(P̃*, P̃))⁻¹ · ½t·ĉk(P̃*, B̃)
/// K        = irfft(K̂, n = L)
/// ```
///
/// The multiplied-through form has no division by `1 + ω`, so the Nyquist node `ω = −1` of even L needs no
/// special case (there `K̂ = (Δ/2)Σ` and the correction vanishes). Each conjugate pair shares one real
/// denominator, so the inner loop is one reciprocal and a few multiply-adds per (node, mode), on contiguous
/// arrays of real and imaginary parts in blocks of nodes.
public enum S4Kernel {
  /// The kernels of H channels, channels in parallel.
  ///
  /// - Parameters:
  ///   - channels: The channels (any sizes and ranks).
  ///   - length: L (at least 1).
  /// - Returns: `H × L` taps, row-major.
  /// - Complexity: O(H·N·L) for the Cauchy sums plus O(H·L log L) for the transforms.
  public static func kernels(_ channels: [S4Channel], length: Int) -> [Double] {
    precondition(length >= 1, "S4Kernel: length \(length) must be at least 1")
    let bins = length / 2 + 1
    var spectrum = [Complex<Double>](repeating: .zero, count: channels.count * bins)
    spectrum.withUnsafeMutableBufferPointer { out in
      let base = out.baseAddress!
      parallelFor(channels.count) { range in
        for h in range {
          generatingFunction(channels[h], length: length, into: UnsafeMutableBufferPointer(start: base + h * bins, count: bins))
        }
      }
    }
    return inverseRealFFT(spectrum, count: length, rows: channels.count)
  }

  private static let blockSize = 128

  /// `K̂(ω_k)` for `k = 0 … L/2` of one channel.
  private static func generatingFunction(
    _ channel: S4Channel, length: Int, into out: UnsafeMutableBufferPointer<Complex<Double>>
  ) {
    let modes = channel.eigenvalues.count
    let rank = channel.lowRank.count
    let rows = [channel.output] + channel.lowRank.map { $0.map(\.conjugate) }
    let columns = [channel.input] + channel.lowRank
    let sums = (rank + 1) * (rank + 1)
    // Per mode: 2Re λ, |λ|², and for each sum Re(u v) and Re(u v λ̄).
    var twiceReal = [Double](repeating: 0, count: modes)
    var squaredLength = [Double](repeating: 0, count: modes)
    var alpha = [Double](repeating: 0, count: sums * modes)
    var beta = [Double](repeating: 0, count: sums * modes)
    for i in 0..<modes {
      let lambda = channel.eigenvalues[i]
      twiceReal[i] = 2 * lambda.real
      squaredLength[i] = lambda.lengthSquared
      for (row, u) in rows.enumerated() {
        for (column, v) in columns.enumerated() {
          let product = u[i] * v[i]
          alpha[(row * (rank + 1) + column) * modes + i] = product.real
          beta[(row * (rank + 1) + column) * modes + i] = (product * lambda.conjugate).real
        }
      }
    }
    let bins = out.count
    let scale = 2 / channel.step
    var s2Re = [Double](repeating: 0, count: blockSize), s2Im = s2Re, stRe = s2Re, stIm = s2Re, t2Re = s2Re, t2Im = s2Re
    var reciprocalRe = s2Re, reciprocalIm = s2Re
    var accumulators = [Double](repeating: 0, count: 4 * sums * blockSize)
    var sValues = [Complex<Double>](repeating: .zero, count: blockSize)
    var tValues = sValues
    for start in stride(from: 0, to: bins, by: blockSize) {
      let count = min(blockSize, bins - start)
      for j in 0..<count {
        let omega = Complex<Double>(unitPhase: -2 * Double.pi * Double(start + j) / Double(length))
        let s = scale * (Complex<Double>.one - omega)
        let t = Complex<Double>.one + omega
        (sValues[j], tValues[j]) = (s, t)
        let (s2, st, t2) = (s * s, s * t, t * t)
        (s2Re[j], s2Im[j], stRe[j], stIm[j], t2Re[j], t2Im[j]) = (s2.real, s2.imaginary, st.real, st.imaginary, t2.real, t2.imaginary)
      }
      for index in 0..<accumulators.count { accumulators[index] = 0 }
      accumulators.withUnsafeMutableBufferPointer { acc in
        for i in 0..<modes {
          let (p, q) = (twiceReal[i], squaredLength[i])
          for j in 0..<count {
            let re = s2Re[j] - p * stRe[j] + q * t2Re[j]
            let im = s2Im[j] - p * stIm[j] + q * t2Im[j]
            let inverse = 1 / (re * re + im * im)
            reciprocalRe[j] = re * inverse
            reciprocalIm[j] = -im * inverse
          }
          for sum in 0..<sums {
            let (a, b) = (alpha[sum * modes + i], beta[sum * modes + i])
            let row = acc.baseAddress! + 4 * sum * blockSize
            for j in 0..<count {
              row[j] += a * reciprocalRe[j]
              row[blockSize + j] += a * reciprocalIm[j]
              row[2 * blockSize + j] += b * reciprocalRe[j]
              row[3 * blockSize + j] += b * reciprocalIm[j]
            }
          }
        }
      }
      for j in 0..<count {
        let (s, t) = (sValues[j], tValues[j])
        func cauchy(_ sum: Int) -> Complex<Double> {
          let row = 4 * sum * blockSize
          let a = Complex(accumulators[row + j], accumulators[row + blockSize + j])
          let b = Complex(accumulators[row + 2 * blockSize + j], accumulators[row + 3 * blockSize + j])
          return 4 * (s * a - t * b)
        }
        let half = 0.5 * t
        let direct = cauchy(0)
        if rank == 1 {
          let correction = cauchy(1) * half * cauchy(2) / (.one + half * cauchy(3))
          out[start + j] = direct - correction
        } else {
          // (I + ½t·K₁₁) x = ½t·k₁₀ by Cramer's rule, then K̂ = k₀₀ − k₀₁·x.
          let (m00, m01) = (Complex<Double>.one + half * cauchy(4), half * cauchy(5))
          let (m10, m11) = (half * cauchy(7), Complex<Double>.one + half * cauchy(8))
          let (r0, r1) = (half * cauchy(3), half * cauchy(6))
          let determinant = m00 * m11 - m01 * m10
          let x0 = (r0 * m11 - m01 * r1) / determinant
          let x1 = (m00 * r1 - m10 * r0) / determinant
          out[start + j] = direct - cauchy(1) * x0 - cauchy(2) * x1
        }
      }
    }
  }
}
