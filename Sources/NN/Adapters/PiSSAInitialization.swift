import TensorCore

/// PiSSA (Meng, Wang and Zhang 2024; PEFT `init_lora_weights="pissa"` / `"pissa_niter_K"`, `pissa_init`): the
/// adapter starts as the principal rank-`r` part of the weight and the frozen weight keeps the rest.
///
/// ```
/// U, σ, Vᵀ = svd(W)  (leading r triplets),   σ'_i = σ_i / s
/// A = diag(√σ') · Vᵀ[0..<r],   B = U[:, 0..<r] · diag(√σ')
/// W_res = W − s · B · A  =  W − U_r · diag(σ_{0..<r}) · V_rᵀ
/// ```
///
/// So `s·B·A` is the best rank-`r` approximation of `W` whatever `α` is, and `W_res` has the singular values
/// `σ_r, σ_{r+1}, …`. The randomized SVD samples `min(r + 10, min(out, in))` directions: PEFT's `pissa_niter_K`
/// samples exactly `r`, which leaves the trailing kept triplets less accurate for the same `K`.
public struct PiSSAOptions: Sendable, Equatable, Hashable, Codable {
  /// How the weight's leading singular triplets are computed: ``LoRASVDMethod/exact`` is PEFT's `"pissa"`,
  /// ``LoRASVDMethod/randomized(powerIterations:)`` with `K` rounds its `"pissa_niter_K"`.
  public var svd: LoRASVDMethod

  /// The random directions beyond `r` that the randomized SVD samples.
  public static let oversampling = 10

  /// PiSSA with the given SVD (``LoRASVDMethod/automatic`` by default).
  public init(svd: LoRASVDMethod = .automatic) { self.svd = svd }

  private enum CodingKeys: String, CodingKey { case svd }

  /// Decodes the options; a missing field takes its default.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    svd = try container.decodeIfPresent(LoRASVDMethod.self, forKey: .svd) ?? .automatic
  }

  /// The PiSSA factors of one layer and its residual weight.
  ///
  /// - Parameters:
  ///   - weight: The layer's weight `W`, `out × in`.
  ///   - scaling: The adapter's rank `r` and scale rule.
  ///   - module: The layer's name, for errors.
  ///   - generator: The source of the randomized SVD's test matrix (unused by the exact SVD).
  /// - Returns: `A`, `B` and `W_res = W − s·B·A`.
  /// - Throws: ``LoRAError/invalidRank(module:rank:maximum:)``, ``LoRAError/weightNotAMatrix(module:shape:)``,
  ///   ``LoRAError/nonFiniteInput(module:tensor:)``, ``LoRAError/invalidInitializationParameter(module:name:value:)``
  ///   or ``LoRAError/decompositionFailed(module:tensor:reason:)``.
  /// - Complexity: O(out · in · min(out, in)) exact, O(out · in · (r + 10) · K) randomized.
  public func initialize(
    weight: Tensor<Float>, scaling: LoRAScaling, module: String, using generator: inout SeededGenerator
  ) throws(LoRAError) -> LoRAInitializationResult {
    let r = scaling.rank
    let (out, input) = try LoRAInitializationSupport.shape(of: weight, rank: r, module: module)
    try LoRAInitializationSupport.requireFinite(weight, module: module, name: "weight")
    try svd.validate(module: module)
    let s = scaling.scale
    let triplets = try svd.leadingTriplets(
      of: weight.converted(to: Double.self), count: r, samples: min(r + Self.oversampling, min(out, input)),
      module: module, tensor: "weight", using: &generator)
    let roots = triplets.singularValues.map { ($0 / s).squareRoot() }
    let indices = Array(0..<r)
    let a = LoRAInitializationSupport.rows(triplets.vt, indices, times: roots)
    let b = LoRAInitializationSupport.columns(triplets.u, indices, times: roots)
    let factors = try LoRAInitializationSupport.storedFactors(a: a, b: b, module: module)
    return LoRAInitializationResult(
      factors: factors, frozenWeight: LoRAInitializationSupport.frozenWeight(weight, factors: factors, scale: s))
  }
}
