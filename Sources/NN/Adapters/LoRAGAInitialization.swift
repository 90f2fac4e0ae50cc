import TensorCore

/// Which `2r` singular triplets of the gradient go to `A` and which to `B` in LoRA-GA.
///
/// With `G ≈ U · diag(σ) · Vᵀ` (descending), `A` takes rows of `Vᵀ` and `B` columns of `U`:
///
/// | direction | A (`r × in`) | B (`out × r`) |
/// |---|---|---|
/// | `ArB2r` | `Vᵀ[0..<r]` | `U[:, r..<2r]` |
/// | `A2rBr` | `Vᵀ[r..<2r]` | `U[:, 0..<r]` |
/// | `ArBr` | `Vᵀ[1, 3, …, 2r−1]` | `U[:, 0, 2, …, 2r−2]` |
/// | `random` | see ``LoRAGAOptions`` and ``PEFTLoRAGAOptions`` | |
///
/// Whichever is chosen, `G AᵀA + B BᵀG` is a multiple of the best rank-`2r` approximation of `G` when the
/// vectors are orthonormal and disjoint; the raw values are the reference's spellings.
public enum LoRAGADirection: String, Sendable, Codable, CaseIterable {
  /// `A` from the leading `r` right singular vectors, `B` from the next `r` left ones (the default).
  case arB2r = "ArB2r"
  /// `A` from right singular vectors `r..<2r`, `B` from the leading `r` left ones.
  case a2rBr = "A2rBr"
  /// `A` from the odd, `B` from the even indices of `0..<2r`.
  case arBr = "ArBr"
  /// Random indices among `0..<2r`.
  case random

  /// The fixed index sets `(a, b)` of the three deterministic directions.
  func fixedIndices(rank r: Int) -> (a: [Int], b: [Int])? {
    switch self {
    case .arB2r: return (Array(0..<r), Array(r..<(2 * r)))
    case .a2rBr: return (Array(r..<(2 * r)), Array(0..<r))
    case .arBr: return (Array(stride(from: 1, to: 2 * r, by: 2)), Array(stride(from: 0, to: 2 * r, by: 2)))
    case .random: return nil
    }
  }
}

/// LoRA-GA (Wang, Yu and Li 2024) exactly as the authors' reference code initializes a layer (`Outsider565/LoRA-GA`,
/// `lora_ga_init`): the factors come from the singular vectors of the mean gradient `G`
/// (`out × in`) of the full weight, and the base weight is corrected so the layer's output is unchanged.
///
/// ```
/// U, σ, Vᵀ = svd(G)  (leading 2r triplets; randomized: q = min(4r, min(out, in)) samples, as svd_lowrank)
/// A = c · Vᵀ[idx_A],  B = c · U[:, idx_B]     (direction; singular values unused)
/// c = out^{1/4} / √γ  (stable)  |  1/s  (gd)  |  1  (unit)  |  mean_{i<r} √(σ_i(W) / s)  (weightS)
/// normClip: ratio = max|W| / max|s·B·A|; if ratio < 1, A ← √ratio·A, B ← √ratio·B
/// W_frozen = W − s · B · A
/// ```
///
/// With the stable scale, `A Aᵀ = BᵀB = c²·I` and, for every direction, `G AᵀA + B BᵀG = c²·G_{2r}` (the best
/// rank-`2r` approximation), so the first SGD step of size `η` moves the effective weight by
/// `−η·ζ·G_{2r} + O(η²)` with `ζ = s²c²` (the paper's gradient-approximation argument). The paper writes `γ` where `√γ` is meant.
/// The products run in `Double`; `A` and `B` are rounded to `Float` and the offset is computed from the rounded
/// factors, so `W_frozen + s·B·A` is `W` to `Float` rounding.
public struct LoRAGAOptions: Sendable, Equatable, Hashable, Codable {
  /// The reference's `scale` rules; the raw values are its spellings.
  public enum Scale: String, Sendable, Codable, CaseIterable {
    /// Both factors times `out^{1/4}/√γ` (the default).
    case stable
    /// Both factors divided by the adapter scale `s`.
    case gd
    /// The orthonormal vectors unscaled.
    case unit
    /// Both factors times `mean_{i<r} √(σ_i(W)/s)`, from the weight's leading singular values.
    case weightS
  }

  /// Which singular vectors go to `A` and `B`; `random` splits a random permutation of `0..<2r`, its first
  /// half to `A` and its second half to `B` (the reference's `random.sample(range(2r), 2r)`).
  public var direction: LoRAGADirection
  /// How the orthonormal factors are scaled.
  public var scale: Scale
  /// `γ` of the stable scale (`stable_gamma`).
  public var stableGamma: Double
  /// Whether to shrink the offset to the weight's largest magnitude (`norm_clip`).
  public var normClip: Bool
  /// How the singular vectors of `G` (and, for ``Scale/weightS``, the singular values of `W`) are computed.
  public var svd: LoRASVDMethod

  /// The reference's defaults: `ArB2r`, stable with `γ = 16`, no norm clip.
  public init(
    direction: LoRAGADirection = .arB2r, scale: Scale = .stable, stableGamma: Double = 16, normClip: Bool = false,
    svd: LoRASVDMethod = .automatic
  ) {
    self.direction = direction
    self.scale = scale
    self.stableGamma = stableGamma
    self.normClip = normClip
    self.svd = svd
  }

  private enum CodingKeys: String, CodingKey { case direction, scale, stableGamma, normClip, svd }

  /// Decodes the options; a missing field takes its default.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let defaults = LoRAGAOptions()
    direction = try container.decodeIfPresent(LoRAGADirection.self, forKey: .direction) ?? defaults.direction
    scale = try container.decodeIfPresent(Scale.self, forKey: .scale) ?? defaults.scale
    stableGamma = try container.decodeIfPresent(Double.self, forKey: .stableGamma) ?? defaults.stableGamma
    normClip = try container.decodeIfPresent(Bool.self, forKey: .normClip) ?? defaults.normClip
    svd = try container.decodeIfPresent(LoRASVDMethod.self, forKey: .svd) ?? defaults.svd
  }

  /// The LoRA-GA factors of one layer and its frozen weight.
  ///
  /// The generator drives, in this order, the gradient's randomized SVD (when used), the `random` direction and
  /// the weight's randomized SVD for ``Scale/weightS``.
  ///
  /// - Parameters:
  ///   - weight: The layer's weight `W`, `out × in`.
  ///   - gradient: `G`, the mean over batches of the batch-mean loss gradient with respect to `W`, `out × in`.
  ///   - scaling: The adapter's rank `r` and scale rule.
  ///   - module: The layer's name, for errors.
  ///   - generator: The source of the randomized SVD's test matrix and of the `random` direction.
  /// - Returns: `A`, `B` and `W_frozen = W − s·B·A`.
  /// - Throws: ``LoRAError/invalidRank(module:rank:maximum:)``, ``LoRAError/gradientRankTooLarge(module:rank:maximum:)``
  ///   (`2r > min(out, in)`), ``LoRAError/gradientShapeMismatch(module:weight:gradient:)``,
  ///   ``LoRAError/nonFiniteInput(module:tensor:)``, ``LoRAError/invalidInitializationParameter(module:name:value:)``
  ///   or ``LoRAError/decompositionFailed(module:tensor:reason:)``.
  /// - Complexity: O(out · in · min(out, in)) exact, O(out · in · r · K) randomized.
  public func initialize(
    weight: Tensor<Float>, gradient: Tensor<Float>, scaling: LoRAScaling, module: String,
    using generator: inout SeededGenerator
  ) throws(LoRAError) -> LoRAInitializationResult {
    let r = scaling.rank
    let (out, input, triplets) = try LoRAInitializationSupport.gradientTriplets(
      weight: weight, gradient: gradient, rank: r, stableGamma: stableGamma, svd: svd, module: module,
      initialization: "LoRA-GA", using: &generator)
    let s = scaling.scale
    let indices: (a: [Int], b: [Int])
    if let fixed = direction.fixedIndices(rank: r) {
      indices = fixed
    } else {
      let permutation = LoRAInitializationSupport.permutation(of: 2 * r, using: &generator)
      indices = (Array(permutation[0..<r]), Array(permutation[r...]))
    }
    let c: Double
    switch scale {
    case .stable: c = Double(out).squareRoot().squareRoot() / stableGamma.squareRoot()
    case .gd: c = 1 / s
    case .unit: c = 1
    case .weightS:
      let weightValues = try svd.leadingTriplets(
        of: weight.converted(to: Double.self), count: r, samples: min(4 * r, min(out, input)), module: module,
        tensor: "weight", using: &generator
      ).singularValues
      c = weightValues.map { ($0 / s).squareRoot() }.reduce(0, +) / Double(r)
    }
    var a = LoRAInitializationSupport.rows(triplets.vt, indices.a, times: Array(repeating: c, count: r))
    var b = LoRAInitializationSupport.columns(triplets.u, indices.b, times: Array(repeating: c, count: r))
    var factors = try LoRAInitializationSupport.storedFactors(a: a, b: b, module: module)
    if normClip {
      let largestOffset = LoRAInitializationSupport.offset(of: factors, scale: s).scalars.map(abs).max() ?? 0
      let largestWeight = Double(weight.scalars.map(abs).max() ?? 0)
      if largestOffset > 0, largestWeight < largestOffset {
        let shrink = (largestWeight / largestOffset).squareRoot()
        a = a.map { shrink * $0 }
        b = b.map { shrink * $0 }
        factors = try LoRAInitializationSupport.storedFactors(a: a, b: b, module: module)
      }
    }
    return LoRAInitializationResult(
      factors: factors, frozenWeight: LoRAInitializationSupport.frozenWeight(weight, factors: factors, scale: s))
  }
}
