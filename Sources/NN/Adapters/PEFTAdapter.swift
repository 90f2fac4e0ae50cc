import TensorCore

/// A whole Hugging Face PEFT LoRA adapter: its configuration and the factors of every adapted module.
///
/// The factors are keyed by the module's dotted name in the base model (`model.layers.0.self_attn.q_proj`), the
/// name PEFT's tensor keys carry after the `base_model.model.` prefix. Each module's update is
/// `ΔW = s·B·A` with the rank, α and scale its configuration gives it (``scaling(forModule:)``, honouring
/// `rank_pattern`, `alpha_pattern` and `use_rslora`), transposed for a base stored `in × out`
/// (`fan_in_fan_out`).
///
/// ```swift
/// let adapter = try PEFTAdapter.load(from: URL(fileURLWithPath: "adapter"))
/// for (module, factors) in adapter.factors {
///   let s = try adapter.scaling(forModule: module).scale
///   // y = x Wᵀ + b + s · (x Aᵀ) Bᵀ
/// }
/// try adapter.save(to: URL(fileURLWithPath: "copy"))
/// ```
///
/// In Python the saved folder loads onto the same base model with
/// `PeftModel.from_pretrained(base_model, "copy")`.
///
/// ### See Also
/// - ``PEFTAdapterConfiguration``
/// - ``LoRAFactors``
public struct PEFTAdapter: Sendable, Equatable {
  /// The `adapter_config.json` fields.
  public private(set) var configuration: PEFTAdapterConfiguration
  /// The factors of each adapted module, by module name.
  public private(set) var factors: [String: LoRAFactors]

  /// An adapter from a configuration and factors that agree with it.
  ///
  /// When `configuration.targetModules` is `nil`, it becomes the list of the modules' full names, so that PEFT
  /// puts adapters on exactly these modules.
  /// - Parameters:
  ///   - configuration: The configuration; it must pass ``PEFTAdapterConfiguration/validate(file:)``.
  ///   - factors: The factors, by module name.
  /// - Throws: What ``PEFTAdapterConfiguration/validate(file:)`` throws;
  ///   ``LoRAError/rankDisagreesWithConfiguration(file:module:configured:stored:)`` when a module's factors do not
  ///   have the rank the configuration gives it; ``LoRAError/moduleNotTargeted(file:module:)`` for an empty module
  ///   name or a module the configuration's `target_modules` does not select (PEFT would not load its factors).
  public init(configuration: PEFTAdapterConfiguration, factors: [String: LoRAFactors]) throws(LoRAError) {
    var configuration = configuration
    if configuration.targetModules == nil {
      configuration.targetModules = .modules(factors.keys.sorted(by: PEFTAdapterConfiguration.pythonOrder))
    }
    try configuration.validate(file: PEFTAdapterConfiguration.fileName)
    for module in factors.keys.sorted() {
      guard !module.isEmpty, try configuration.targets(module) else {
        throw .moduleNotTargeted(file: PEFTAdapterConfiguration.fileName, module: module)
      }
      let rank = try configuration.scaling(forModule: module).rank
      if let stored = factors[module]?.rank, stored != rank {
        throw .rankDisagreesWithConfiguration(
          file: PEFTAdapterConfiguration.fileName, module: module, configured: rank, stored: stored)
      }
    }
    self.configuration = configuration
    self.factors = factors
  }

  /// The rank, α and scale of one adapted module.
  ///
  /// - Parameter module: The module's name.
  /// - Throws: ``LoRAError/unknownModule(_:)`` when the adapter has no factors for it.
  public func scaling(forModule module: String) throws(LoRAError) -> LoRAScaling {
    guard factors[module] != nil else { throw .unknownModule(module) }
    return try configuration.scaling(forModule: module)
  }

  /// The number of adapter parameters, `r·(in + out)` summed over the modules.
  public var parameterCount: Int {
    factors.values.reduce(0) { $0 + $1.a.count + $1.b.count }
  }
}
