import TensorCore

/// The starting factors of one adapted layer, and the base weight to train against when the initialization
/// changes it.
public struct LoRAInitializationResult: Sendable, Equatable {
  /// `A` (`r × in`) and `B` (`out × r`).
  public var factors: LoRAFactors
  /// `W_frozen = W − s·B·A` for the initializations that move part of `W` into the adapter (LoRA-GA, PiSSA),
  /// so that `W_frozen + s·B·A = W` and the layer's output is unchanged; `nil` when `W` stays as it is.
  public var frozenWeight: Tensor<Float>?

  /// A result from its parts.
  public init(factors: LoRAFactors, frozenWeight: Tensor<Float>?) {
    self.factors = factors
    self.frozenWeight = frozenWeight
  }
}

/// How a LoRA adapter's factors start: Hu et al.'s LoRA as PEFT initializes it, LoRA-GA, PiSSA.
///
/// | case | ``name`` (`--init`) | PEFT `init_lora_weights` | A | B | W |
/// |---|---|---|---|---|---|
/// | ``lora`` | `lora` | `true` | `U(±1/√in)` | 0 | unchanged |
/// | ``gaussian`` | `gaussian` | `"gaussian"` | `N(0, (1/r)²)` | 0 | unchanged |
/// | ``loraGA(_:)`` | `lora-ga` | `"lora_ga"` | gradient SVD | gradient SVD | `W − s·B·A` |
/// | ``loraGAPEFT(_:)`` | `lora-ga-peft` | `"lora_ga"` | gradient SVD | gradient SVD · σ | `W − s·B·A` |
/// | ``pissa(_:)`` | `pissa` | `"pissa"`, `"pissa_niter_K"` | weight SVD | weight SVD | `W − s·B·A` |
///
/// It encodes as `{"method": name}` plus the case's options under `"options"`:
/// `{"method": "lora-ga", "options": {"direction": "ArB2r", "scale": "stable", "stableGamma": 16, …}}`.
public enum LoRAInitialization: Sendable, Equatable, Hashable {
  /// PEFT's default: `A` Kaiming-uniform with `a = √5`, that is uniform on `[−1/√in, 1/√in)`; `B = 0`.
  case lora
  /// PEFT's `"gaussian"`: `A` normal with standard deviation `1/r`; `B = 0`.
  case gaussian
  /// LoRA-GA as the authors' code does it (the default for gradient-aligned adapters).
  case loraGA(LoRAGAOptions)
  /// LoRA-GA as upstream PEFT does it.
  case loraGAPEFT(PEFTLoRAGAOptions)
  /// PiSSA, exact or with a randomized SVD.
  case pissa(PiSSAOptions)

  /// The names ``init(name:)`` accepts, as the CLI's `--init` spells them (plus `gaussian`).
  public static let names = ["lora", "gaussian", "lora-ga", "lora-ga-peft", "pissa"]

  /// The initialization called `name`, with default options: one of ``names``, or PEFT's `pissa_niter_K` for
  /// PiSSA with a randomized SVD of `K` power iterations; `nil` for anything else.
  public init?(name: String) {
    switch name {
    case "lora": self = .lora
    case "gaussian": self = .gaussian
    case "lora-ga": self = .loraGA(LoRAGAOptions())
    case "lora-ga-peft": self = .loraGAPEFT(PEFTLoRAGAOptions())
    case "pissa": self = .pissa(PiSSAOptions())
    default:
      let prefix = "pissa_niter_"
      guard name.hasPrefix(prefix), let iterations = Int(name.dropFirst(prefix.count)), iterations >= 0 else {
        return nil
      }
      self = .pissa(PiSSAOptions(svd: .randomized(powerIterations: iterations)))
    }
  }

  /// The CLI's name of the method (one of ``names``).
  public var name: String {
    switch self {
    case .lora: return "lora"
    case .gaussian: return "gaussian"
    case .loraGA: return "lora-ga"
    case .loraGAPEFT: return "lora-ga-peft"
    case .pissa: return "pissa"
    }
  }

  /// The value PEFT's `init_lora_weights` has for this method, `nil` standing for the JSON boolean `true`.
  ///
  /// A file saved against the original weight after the rank-2r conversion
  /// (``LoRAFactors/convertedToOriginalWeight(trained:initial:module:)``) writes `true` instead, as PEFT does.
  public var peftInitLoRAWeights: String? {
    switch self {
    case .lora: return nil
    case .gaussian: return "gaussian"
    case .loraGA, .loraGAPEFT: return "lora_ga"
    case .pissa(let options):
      if case .randomized(let iterations) = options.svd { return "pissa_niter_\(iterations)" }
      return "pissa"
    }
  }

  /// Whether the method needs the layer's mean weight gradient `G`.
  public var needsGradient: Bool {
    switch self {
    case .loraGA, .loraGAPEFT: return true
    case .lora, .gaussian, .pissa: return false
    }
  }

  /// Whether the method replaces the base weight by `W − s·B·A`.
  public var changesBaseWeight: Bool {
    switch self {
    case .loraGA, .loraGAPEFT, .pissa: return true
    case .lora, .gaussian: return false
    }
  }

  /// The starting factors of the adapter on one layer (and its frozen weight where the method changes it).
  ///
  /// ``lora`` and ``gaussian`` read only the weight's shape.
  ///
  /// - Parameters:
  ///   - weight: The layer's weight `W`, `out × in`.
  ///   - gradient: `G`, the mean weight gradient (`out × in`); required when ``needsGradient``, ignored otherwise.
  ///   - scaling: The adapter's rank `r` and scale rule.
  ///   - module: The layer's name, for errors.
  ///   - generator: The source of every random draw.
  /// - Returns: `A`, `B`, and `W_frozen` for the methods that change `W`.
  /// - Throws: ``LoRAError/invalidRank(module:rank:maximum:)`` for `r` outside `1...min(out, in)`,
  ///   ``LoRAError/missingGradient(module:initialization:)``, and the errors of each method.
  public func initialize(
    weight: Tensor<Float>, gradient: Tensor<Float>? = nil, scaling: LoRAScaling, module: String,
    using generator: inout SeededGenerator
  ) throws(LoRAError) -> LoRAInitializationResult {
    let r = scaling.rank
    switch self {
    case .lora:
      let (_, input) = try LoRAInitializationSupport.shape(of: weight, rank: r, module: module)
      let bound = Float(1 / Double(input).squareRoot())
      return try zeroB(a: .uniform(shape: [r, input], in: -bound..<bound, using: &generator), weight, module)
    case .gaussian:
      let (_, input) = try LoRAInitializationSupport.shape(of: weight, rank: r, module: module)
      let a = Tensor<Float>.normal(shape: [r, input], standardDeviation: Float(1 / Double(r)), using: &generator)
      return try zeroB(a: a, weight, module)
    case .loraGA(let options):
      guard let gradient else { throw .missingGradient(module: module, initialization: "LoRA-GA") }
      return try options.initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: module, using: &generator)
    case .loraGAPEFT(let options):
      guard let gradient else { throw .missingGradient(module: module, initialization: "LoRA-GA (PEFT)") }
      return try options.initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: module, using: &generator)
    case .pissa(let options):
      return try options.initialize(weight: weight, scaling: scaling, module: module, using: &generator)
    }
  }

  /// `A` with `B = 0` (`out × r`), the adapter a no-op and `W` unchanged.
  private func zeroB(a: Tensor<Float>, _ weight: Tensor<Float>, _ module: String) throws(LoRAError)
    -> LoRAInitializationResult
  {
    let factors = try LoRAFactors(a: a, b: Tensor(zeros: [weight.shape[0], a.shape[0]]), module: module)
    return LoRAInitializationResult(factors: factors, frozenWeight: nil)
  }
}

extension LoRAInitialization: Codable {
  private enum CodingKeys: String, CodingKey { case method, options }

  /// Decodes `{"method": name, "options": {…}}`; missing options take their defaults.
  ///
  /// - Throws: `DecodingError.dataCorrupted` for a method name not in ``names``.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let method = try container.decode(String.self, forKey: .method)
    switch method {
    case "lora": self = .lora
    case "gaussian": self = .gaussian
    case "lora-ga":
      self = .loraGA(try container.decodeIfPresent(LoRAGAOptions.self, forKey: .options) ?? LoRAGAOptions())
    case "lora-ga-peft":
      self = .loraGAPEFT(
        try container.decodeIfPresent(PEFTLoRAGAOptions.self, forKey: .options) ?? PEFTLoRAGAOptions())
    case "pissa":
      self = .pissa(try container.decodeIfPresent(PiSSAOptions.self, forKey: .options) ?? PiSSAOptions())
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .method, in: container,
        debugDescription: "unknown LoRA initialization \"\(method)\"; expected one of \(Self.names.joined(separator: ", "))")
    }
  }

  /// Encodes `{"method": name}` plus the options of the cases that have them.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .method)
    switch self {
    case .lora, .gaussian: break
    case .loraGA(let options): try container.encode(options, forKey: .options)
    case .loraGAPEFT(let options): try container.encode(options, forKey: .options)
    case .pissa(let options): try container.encode(options, forKey: .options)
    }
  }
}
