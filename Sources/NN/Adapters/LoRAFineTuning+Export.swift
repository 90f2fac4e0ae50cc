extension LoRAFineTuning {
  /// The trained adapter as a PEFT adapter that applies to the base model's original weights.
  ///
  /// For an initialization that changed the base weight (``LoRAInitialization/changesBaseWeight``: LoRA-GA,
  /// PiSSA) every module's factors are the rank-`2r` conversion of the trained and the initial pair
  /// (``LoRAFactors/convertedToOriginalWeight(trained:initial:module:)``) and the configuration is
  /// ``PEFTAdapterConfiguration/rankDoubledForOriginalWeights()``, so each module's scale is unchanged and
  /// `W + s·B'A' = W_frozen + s·B·A`; otherwise the trained factors of rank `r`. `target_modules` lists the
  /// adapted modules' full names, `init_lora_weights` is `true`, and `lora_dropout`, `use_rslora` and the
  /// rank and alpha patterns are the plan's.
  ///
  /// - Returns: The adapter, ready for ``PEFTAdapter/save(to:protectedInputs:)``.
  /// - Throws: ``LoRAError/rankDoublingUnsupported(reason:)`` for rsLoRA with rank or alpha patterns and a
  ///   weight-changing initialization, or what ``PEFTAdapter/init(configuration:factors:)`` throws.
  /// - Complexity: O(r · (in + out)) per module.
  public func exportedAdapter() throws(LoRAError) -> PEFTAdapter {
    var peft = PEFTAdapterConfiguration(
      rank: configuration.rank, alpha: configuration.alpha, targetModules: nil, useRSLoRA: configuration.useRSLoRA,
      rankPattern: Self.table(configuration.rankPattern), alphaPattern: Self.table(configuration.alphaPattern),
      dropout: configuration.dropout, initialization: .standard(true))
    let converting = initialization.changesBaseWeight
    if converting { peft = try peft.rankDoubledForOriginalWeights() }
    var factors: [String: LoRAFactors] = [:]
    for layer in model.loraLayers where layer.adapter(named: configuration.adapterName) != nil {
      let trained = try layer.factors(adapter: configuration.adapterName, in: model.parameters)
      guard converting else {
        factors[layer.module] = trained
        continue
      }
      guard let initial = initialFactors[layer.module] else { throw .unknownModule(layer.module) }
      factors[layer.module] = try LoRAFactors.convertedToOriginalWeight(
        trained: trained, initial: initial, module: layer.module)
    }
    return try PEFTAdapter(configuration: peft, factors: factors)
  }

  /// Pattern overrides as PEFT's `{pattern: value}` table (the first entry of a repeated pattern wins, as it
  /// does when matching).
  private static func table<Value>(_ overrides: [LoRAPatternOverride<Value>]) -> [String: Value] {
    var table: [String: Value] = [:]
    for override in overrides where table[override.pattern] == nil { table[override.pattern] = override.value }
    return table
  }
}
