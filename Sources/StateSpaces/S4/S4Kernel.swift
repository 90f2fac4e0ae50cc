import CKernels
import TensorCore

/// One S4 channel in diagonal-plus-low-rank form: `A = Λ − P̃P̃*` over N/2 stored modes and their conjugates,
/// with input `B̃`, truncation-corrected output `C̃ = C(I − Āᴸ)` and step Δ (bilinear discretization).
///
/// The parameters are checked once, in ``init(eigenvalues:lowRank:input:output:step:)``, and are read-only
/// afterwards (the C kernel relies on their sizes): to change one, create a new channel.
public struct S4Channel: Sendable, Equatable {
  /// The N/2 stored eigenvalues Λ.
  public let eigenvalues: [Complex<Double>]
  /// The low-rank term P̃: r rows (r ≤ 2) of N/2.
  public let lowRank: [[Complex<Double>]]
  /// The input vector B̃ (N/2).
  public let input: [Complex<Double>]
  /// The corrected output vector C̃ (N/2).
  public let output: [Complex<Double>]
  /// The step Δ.
  public let step: Double

  /// Creates a channel.
  ///
  /// - Parameters:
  ///   - eigenvalues: Λ.
  ///   - lowRank: P̃, one or two rows as long as Λ.
  ///   - input: B̃.
  ///   - output: C̃.
  ///   - step: Δ, positive and finite.
  /// - Throws: ``StateSpaceError`` when the sizes disagree, the rank is not 1 or 2, or a
  ///   value is NaN or infinite; ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when Δ is not positive and finite.
  public init(
    eigenvalues: [Complex<Double>], lowRank: [[Complex<Double>]], input: [Complex<Double>],
    output: [Complex<Double>], step: Double
  ) throws {
    let m = eigenvalues.count
    guard m > 0, (1...2).contains(lowRank.count), lowRank.allSatisfy({ $0.count == m }), input.count == m,
      output.count == m
    else {
      throw StateSpaceError.countsDisagree(
        operation: "S4", tensors: ["Λ", "P̃ rows", "B̃", "C̃"], counts: [m, lowRank.count, input.count, output.count],
        requirement: "P̃ must have 1 or 2 rows and every row, B̃ and C̃ as many entries as Λ")
    }
    try StateSpaceValidation.requireFinite(eigenvalues, operation: "S4", tensor: "Λ")
    for (r, row) in lowRank.enumerated() { try StateSpaceValidation.requireFinite(row, operation: "S4", tensor: "P̃ row \(r)") }
    try StateSpaceValidation.requireFinite(input, operation: "S4", tensor: "B̃")
    try StateSpaceValidation.requireFinite(output, operation: "S4", tensor: "C̃")
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
/// On the unit circle `1 − ω = iτ·(1 + ω)` with the real `τ = tan(πk/L)`, and `1/(1 + ω) = ½(1 + iτ)`.
/// Dividing each denominator by `t²` leaves `(q − τ²) − ipτ` (`p = 2Re λ/σ`, `q = |λ|²/σ²`, `σ = 2/Δ`), whose
/// squared modulus is real, so a (node, mode) pair costs a subtraction, two multiplications, a multiply-add
/// and a division shared by all sums, then four multiply-adds per sum with per-mode coefficients. The
/// factor `t` comes back once per node, and `ω = −1` (`τ = ∞`, even L) is the closed form `K̂ = ½Σ a_i0`
/// (there the correction vanishes). The nodes are shared by all channels; the sums run in a C kernel on eight
/// nodes per vector (AVX-512, AVX2 or baseline, chosen at run time), channels in parallel, and each channel's
/// spectrum goes through the inverse FFT while it is still in cache.
public enum S4Kernel {
  /// The kernels of H channels, channels in parallel.
  ///
  /// Finite parameters (checked by ``S4Channel``) give finite taps for stable channels (`Re λ < 0`, the
  /// HiPPO initializations); a channel with eigenvalues in the right half plane has a kernel that grows like
  /// `|Ā|ᴸ` and may overflow to ±∞ or NaN, as IEEE arithmetic gives: check `isFinite` when the parameters
  /// come from training without a stability constraint.
  ///
  /// - Parameters:
  ///   - channels: The channels (any sizes and ranks).
  ///   - length: L (at least 1).
  /// - Returns: `H × L` taps, row-major.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when L < 1 or `H × L` overflows `Int`.
  /// - Complexity: O(H·N·L) for the Cauchy sums plus O(H·L log L) for the transforms.
  public static func kernels(_ channels: [S4Channel], length: Int) throws -> [Double] {
    try kernels(channels, length: length, vectorLevel: sml_cpu_vector_level())
  }

  /// ``kernels(_:length:)`` with the widest vector level of the C kernel given (0 baseline, 2 AVX2, 3 AVX-512;
  /// lowered to what the processor has), so that tests reach every variant.
  static func kernels(_ channels: [S4Channel], length: Int, vectorLevel: Int32) throws -> [Double] {
    guard length >= 1 else { throw StateSpaceError.invalidParameter(operation: "S4", parameter: "length L", value: "\(length)", requirement: "at least 1") }
    let count = try StateSpaceValidation.product([channels.count, length], operation: "S4")
    let bins = length / 2 + 1
    let tangents = nodes(length: length)
    // One channel at a time per core: its spectrum (L/2 + 1 bins) and the transform's temporaries stay in
    // cache and are recycled by the allocator, and every tap of the output is written (no zero-filling).
    return [Double](unsafeUninitializedCapacity: count) { output, initialized in
      initialized = output.count
      guard let outputBase = output.baseAddress else { return }
      tangents.withUnsafeBufferPointer { tau in
        parallelFor(channels.count) { range in
          var terms: [Double] = []
          var spectrum = [Complex<Double>](repeating: .zero, count: bins)
          for h in range {
            let channel = channels[h]
            channel.cauchyTerms(into: &terms)
            spectrum.withUnsafeMutableBufferPointer { buffer in
              buffer.withMemoryRebound(to: Double.self) { out in
                terms.withUnsafeBufferPointer { termBuffer in
                  sml_s4_generating_function(
                    tau.baseAddress!, bins, termBuffer.baseAddress!, channel.eigenvalues.count,
                    Int32(channel.lowRank.count), out.baseAddress!, vectorLevel)
                }
              }
            }
            inverseRealFFT(spectrum, count: length).withUnsafeBufferPointer { kernel in
              (outputBase + h * length).update(from: kernel.baseAddress!, count: length)
            }
          }
        }
      }
    }
  }
}

extension S4Kernel {
  /// The nodes `τ_k = tan(θ/2)`, `θ = 2πk/L`, `k = 0 … L/2`, for which `1 − ω = iτ·(1 + ω)`; `+∞` at `ω = −1`
  /// for even L.
  ///
  /// The half-angle phases `e^{iπk/L}` come from two tables of about `√L` sines and cosines each,
  /// `e^{iπ(aB + b)/L} = e^{iπaB/L}·e^{iπb/L}`, so the error stays within a few units in the last place.
  ///
  /// - Complexity: O(L) multiplications and O(√L) sines and cosines.
  static func nodes(length: Int) -> [Double] {
    let bins = length / 2 + 1
    let block = max(1, Int(Double(bins).squareRoot()))
    let fine = (0..<block).map { Double.pi * Double($0) / Double(length) }
    let coarse = stride(from: 0, to: bins, by: block).map { Double.pi * Double($0) / Double(length) }
    let (fineCosine, fineSine) = (fine.map(Double.cosine), fine.map(Double.sine))
    let (coarseCosine, coarseSine) = (coarse.map(Double.cosine), coarse.map(Double.sine))
    var tangents = [Double](repeating: 0, count: bins)
    for (a, start) in stride(from: 0, to: bins, by: block).enumerated() {
      for b in 0..<min(block, bins - start) {
        let k = start + b
        let cosine = coarseCosine[a] * fineCosine[b] - coarseSine[a] * fineSine[b]
        let sine = coarseSine[a] * fineCosine[b] + coarseCosine[a] * fineSine[b]
        tangents[k] = 2 * k == length ? .infinity : sine / cosine
      }
    }
    return tangents
  }
}

extension S4Channel {
  /// The per-mode coefficients of the Cauchy kernel, `2 + 4S` per mode for `S = (r + 1)²` sums:
  /// `q = |λ|²/σ²`, `p²`, then `b_k`, `a_k·p`, `a_k`, `b_k·p` for every sum, where `p = 2Re λ/σ`,
  /// `a_k = 4Re(u v)/σ`, `b_k = 4Re(u v λ̄)/σ²`, `σ = 2/Δ`, rows `u ∈ {C̃, P̃*}` and columns `v ∈ {B̃, P̃}`.
  ///
  /// - Parameter terms: Replaced by the coefficients (its storage is reused).
  /// - Complexity: O(N·r²).
  func cauchyTerms(into terms: inout [Double]) {
    let rank = lowRank.count
    let sums = (rank + 1) * (rank + 1)
    let stride = 2 + 4 * sums
    let sigma = 2 / step
    let (scaleA, scaleB) = (4 / sigma, 4 / (sigma * sigma))
    terms.removeAll(keepingCapacity: true)
    terms.append(contentsOf: repeatElement(0, count: eigenvalues.count * stride))
    for i in eigenvalues.indices {
      let (lambdaRe, lambdaIm) = (eigenvalues[i].real, eigenvalues[i].imaginary)
      let p = 2 * lambdaRe / sigma
      let base = i * stride
      terms[base] = (lambdaRe * lambdaRe + lambdaIm * lambdaIm) / (sigma * sigma)
      terms[base + 1] = p * p
      for row in 0...rank {
        // u = C̃ for row 0, P̃*_r otherwise; v = B̃ for column 0, P̃_c otherwise.
        let (uRe, uIm) = row == 0 ? (output[i].real, output[i].imaginary) : (lowRank[row - 1][i].real, -lowRank[row - 1][i].imaginary)
        for column in 0...rank {
          let v = column == 0 ? input[i] : lowRank[column - 1][i]
          let (productRe, productIm) = (uRe * v.real - uIm * v.imaginary, uRe * v.imaginary + uIm * v.real)
          let k = base + 2 + row * (rank + 1) + column
          let a = scaleA * productRe
          // Re(u v λ̄) = Re(uv)·Re λ + Im(uv)·Im λ.
          let b = scaleB * (productRe * lambdaRe + productIm * lambdaIm)
          (terms[k], terms[k + sums], terms[k + 2 * sums], terms[k + 3 * sums]) = (b, a * p, a, b * p)
        }
      }
    }
  }
}
