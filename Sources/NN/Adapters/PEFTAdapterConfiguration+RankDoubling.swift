extension PEFTAdapterConfiguration {
  /// The configuration of the rank-2r adapter that applies a LoRA-GA or PiSSA adapter to the original weights.
  ///
  /// An initialization that moves the base weight (`W_frozen = W − s·B₀A₀`) is undone by the rank-2r factors
  /// `A' = [A ; A₀]`, `B' = [B , −B₀]`, so that `s·B'A' = s·B·A − s·B₀A₀`. The configuration keeps every
  /// module's scale `s` while its rank doubles, as PEFT's `save_pretrained` with
  /// `path_initial_model_for_weight_conversion` converts it:
  ///
  /// ```
  /// r ← 2r        lora_alpha ← 2α  (α/r unchanged),  or  √2·α with rsLoRA  (α/√r unchanged)
  /// rank_pattern and alpha_pattern values ← 2×      init_lora_weights ← true
  /// ```
  ///
  /// With rsLoRA a doubled pattern would not keep the scale, so PEFT refuses rsLoRA together with a rank or
  /// alpha pattern, and so does this function. The factors themselves are concatenated by the initialization
  /// that made them.
  /// - Returns: The converted configuration.
  /// - Throws: ``LoRAError/rankDoublingUnsupported(reason:)`` for rsLoRA with a non-empty `rank_pattern` or
  ///   `alpha_pattern`.
  public func rankDoubledForOriginalWeights() throws(LoRAError) -> PEFTAdapterConfiguration {
    if useRSLoRA && !(rankPattern.isEmpty && alphaPattern.isEmpty) {
      throw .rankDoublingUnsupported(
        reason: "use_rslora together with rank_pattern or alpha_pattern would change the scale (PEFT refuses it too)")
    }
    var doubled = self
    doubled.rank = 2 * rank
    doubled.alpha = useRSLoRA ? alpha * 2.0.squareRoot() : 2 * alpha
    doubled.rankPattern = rankPattern.mapValues { 2 * $0 }
    doubled.alphaPattern = alphaPattern.mapValues { 2 * $0 }
    doubled.initialization = .standard(true)
    return doubled
  }
}
