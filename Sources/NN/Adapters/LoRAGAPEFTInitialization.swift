import TensorCore

/// LoRA-GA as upstream Hugging Face PEFT initializes it (`init_lora_weights="lora_ga"`, `LoraGAConfig`, since
/// v0.19, `lora_ga_init`), which differs numerically from the authors' code (``LoRAGAOptions``): `B` carries the
/// gradient's singular values, the stable scale multiplies only `B`, and `random` draws one index set for both.
///
/// ```
/// U, σ, Vᵀ = svd(G)  (leading 2r triplets; randomized: q = min(4r, min(out, in)) samples)
/// A = Vᵀ[idx_A],  B = U[:, idx_B] · diag(σ[idx_B])
/// stable:     B ← B · out^{1/4}/√γ
/// weightSVD:  B ← B · σ₁(W)/σ_B₁   (σ_B₁ the first selected gradient value; skipped when it is 0)
/// gdScale:    A ← A/s,  B ← B/s
/// unit:       unchanged
/// W_frozen = W − s · B · A
/// ```
///
/// Because the gradient's singular values are small, `B₀A₀` and the first steps are far smaller than with the
/// authors' initialization. Use this variant to compare with PEFT users' runs.
public struct PEFTLoRAGAOptions: Sendable, Equatable, Hashable, Codable {
  /// PEFT's `LoraGAConfig.scale` values; the raw values are its spellings.
  public enum Scale: String, Sendable, Codable, CaseIterable {
    /// `B` times `out^{1/4}/√γ` (the default).
    case stable
    /// `B` times the weight's top singular value over the first selected gradient singular value.
    case weightSVD = "weight_svd"
    /// Both factors divided by the adapter scale `s`.
    case gdScale = "gd_scale"
    /// No further scaling.
    case unit
  }

  /// Which singular triplets go to `A` and `B`; `random` takes the first `r` entries of a random permutation of
  /// `0..<2r` for both (PEFT's `torch.randperm(2r)[:r]`).
  public var direction: LoRAGADirection
  /// How `B` (and, for ``Scale/gdScale``, `A`) is scaled.
  public var scale: Scale
  /// `γ` of the stable scale (`stable_gamma`, default 16).
  public var stableGamma: Double
  /// How the singular vectors of `G` (and, for ``Scale/weightSVD``, the top singular value of `W`) are computed.
  public var svd: LoRASVDMethod

  /// PEFT's defaults: `ArB2r`, stable with `γ = 16`.
  public init(
    direction: LoRAGADirection = .arB2r, scale: Scale = .stable, stableGamma: Double = 16,
    svd: LoRASVDMethod = .automatic
  ) {
    self.direction = direction
    self.scale = scale
    self.stableGamma = stableGamma
    self.svd = svd
  }

  private enum CodingKeys: String, CodingKey { case direction, scale, stableGamma, svd }

  /// Decodes the options; a missing field takes its default.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let defaults = PEFTLoRAGAOptions()
    direction = try container.decodeIfPresent(LoRAGADirection.self, forKey: .direction) ?? defaults.direction
    scale = try container.decodeIfPresent(Scale.self, forKey: .scale) ?? defaults.scale
    stableGamma = try container.decodeIfPresent(Double.self, forKey: .stableGamma) ?? defaults.stableGamma
    svd = try container.decodeIfPresent(LoRASVDMethod.self, forKey: .svd) ?? defaults.svd
  }

  /// PEFT's LoRA-GA factors of one layer and its frozen weight.
  ///
  /// The generator drives, in this order, the gradient's randomized SVD (when used), the `random` direction and
  /// the weight's randomized SVD for ``Scale/weightSVD``.
  ///
  /// - Parameters:
  ///   - weight: The layer's weight `W`, `out × in`.
  ///   - gradient: `G`, the mean gradient of the loss with respect to `W`, `out × in`.
  ///   - scaling: The adapter's rank `r` and scale rule.
  ///   - module: The layer's name, for errors.
  ///   - generator: The source of the randomized SVD's test matrix and of the `random` direction.
  /// - Returns: `A`, `B` and `W_frozen = W − s·B·A`.
  /// - Throws: The errors of ``LoRAGAOptions/initialize(weight:gradient:scaling:module:using:)``.
  /// - Complexity: O(out · in · min(out, in)) exact, O(out · in · r · K) randomized.
  public func initialize(
    weight: Tensor<Float>, gradient: Tensor<Float>, scaling: LoRAScaling, module: String,
    using generator: inout SeededGenerator
  ) throws(LoRAError) -> LoRAInitializationResult {
    let r = scaling.rank
    let (out, input, triplets) = try LoRAInitializationSupport.gradientTriplets(
      weight: weight, gradient: gradient, rank: r, stableGamma: stableGamma, svd: svd, module: module,
      initialization: "LoRA-GA (PEFT)", using: &generator)
    let s = scaling.scale
    let indices: (a: [Int], b: [Int])
    if let fixed = direction.fixedIndices(rank: r) {
      indices = fixed
    } else {
      let chosen = Array(LoRAInitializationSupport.permutation(of: 2 * r, using: &generator)[0..<r])
      indices = (chosen, chosen)
    }
    let valuesB = indices.b.map { triplets.singularValues[$0] }
    var scaleA = 1.0
    var scaleB = 1.0
    switch scale {
    case .stable: scaleB = Double(out).squareRoot().squareRoot() / stableGamma.squareRoot()
    case .weightSVD:
      let top = try svd.leadingTriplets(
        of: weight.converted(to: Double.self), count: 1, samples: min(r, min(out, input)), module: module,
        tensor: "weight", using: &generator
      ).singularValues[0]
      if valuesB[0] > 0 { scaleB = top / valuesB[0] }
    case .gdScale: (scaleA, scaleB) = (1 / s, 1 / s)
    case .unit: break
    }
    let a = LoRAInitializationSupport.rows(triplets.vt, indices.a, times: Array(repeating: scaleA, count: r))
    let b = LoRAInitializationSupport.columns(triplets.u, indices.b, times: valuesB.map { $0 * scaleB })
    let factors = try LoRAInitializationSupport.storedFactors(a: a, b: b, module: module)
    return LoRAInitializationResult(
      factors: factors, frozenWeight: LoRAInitializationSupport.frozenWeight(weight, factors: factors, scale: s))
  }
}
