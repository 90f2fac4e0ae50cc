import Foundation
import TensorCore

/// One named low-rank adapter of a ``LoRALinearLayer``: the handles of its factors, its scale, its dropout,
/// and whether it runs (enabled) or lives in the base weight (merged).
///
/// The factors are the slots `<module>.lora_A.<name>.weight` (`rank × in`) and `<module>.lora_B.<name>.weight`
/// (`out × rank`), PEFT's in-memory names. The enabled and merged flags are shared by every copy of the
/// adapter (a model's layers are values, copied into its blocks), so switching them through any copy
/// switches the model's adapter.
public struct LoRAAdapter: Sendable {
  /// The adapter's name (PEFT's `adapter_name`, `"default"` unless chosen).
  public let name: String
  /// The handle of `lora_A`, `rank × inputFeatures`.
  public let a: ParameterID
  /// The handle of `lora_B`, `outputFeatures × rank`.
  public let b: ParameterID
  /// The rank and the scale rule.
  public let scaling: LoRAScaling
  /// The dropout on the adapter's input, if its probability is positive.
  public let dropout: Dropout?
  /// The seed of the adapter's PEFT-default initialization (its dropout masks take their own seed).
  public let initializationSeed: UInt64
  private let state: LoRAAdapterState

  /// The parameter names of adapter `adapter` on `module`: `module.lora_A.adapter.weight` and
  /// `module.lora_B.adapter.weight`.
  public static func parameterNames(module: String, adapter: String) -> (a: String, b: String) {
    (
      ParameterLayout.qualified(module, "lora_A.\(adapter).weight"),
      ParameterLayout.qualified(module, "lora_B.\(adapter).weight")
    )
  }

  /// Declares the adapter's two factors for a layer `outputFeatures × inputFeatures` named `module`.
  ///
  /// - Parameters:
  ///   - dropout: The probability of dropping an element of the adapter's input while training.
  ///   - seed: The seed of the dropout masks and of the default initialization.
  /// - Throws: ``LoRAError/invalidAdapterName(_:)``, ``LoRAError/invalidRank(module:rank:maximum:)`` for a rank
  ///   above `min(in, out)`, ``LoRAError/invalidDropout(adapter:probability:)``, or a ``ParameterError`` for a
  ///   name already declared.
  init(
    _ name: String, module: String, inputFeatures: Int, outputFeatures: Int, scaling: LoRAScaling, dropout: Double,
    seed: UInt64, layout: inout ParameterLayout
  ) throws {
    guard !name.isEmpty, !name.contains(".") else { throw LoRAError.invalidAdapterName(name) }
    let maximum = min(inputFeatures, outputFeatures)
    guard scaling.rank <= maximum else {
      throw LoRAError.invalidRank(module: module, rank: scaling.rank, maximum: maximum)
    }
    guard dropout >= 0, dropout < 1 else { throw LoRAError.invalidDropout(adapter: name, probability: dropout) }
    var seeds = SeededGenerator(seed: seed)
    self.dropout = dropout > 0 ? try Dropout(probability: dropout, seed: seeds.next()) : nil
    initializationSeed = seeds.next()
    let names = Self.parameterNames(module: module, adapter: name)
    a = try layout.declare(names.a, shape: [scaling.rank, inputFeatures], group: .decayed)
    b = try layout.declare(names.b, shape: [outputFeatures, scaling.rank], group: .decayed)
    self.name = name
    self.scaling = scaling
    state = LoRAAdapterState()
  }

  /// `s` in `Float`.
  var scale: Float { Float(scaling.scale) }

  /// Whether the adapter takes part in forward and backward passes (true when declared).
  public var isEnabled: Bool { state.read(\.isEnabled) }

  /// Whether `s·B·A` has been added into the base weight (then the adapter does not run on its own).
  public var isMerged: Bool { state.read(\.isMerged) }

  /// Whether forward and backward passes run the adapter: enabled and not merged.
  var isActive: Bool { state.read { $0.isEnabled && !$0.isMerged } }

  /// Turns the adapter on or off (PEFT's `disable_adapter` context).
  public func setEnabled(_ enabled: Bool) { state.write { $0.isEnabled = enabled } }

  func setMerged(_ merged: Bool) { state.write { $0.isMerged = merged } }

  /// PEFT's default initialization (`init_lora_weights=True`): `A` Kaiming-uniform with `a = √5`, which is
  /// uniform in `[-1/√in, 1/√in)`, and `B = 0`, so the adapter starts as a no-op. Draws from the adapter's own
  /// seed, so the base layer's initialization is the same with and without adapters.
  func initializeDefault(_ store: ParameterStore) {
    var generator = SeededGenerator(seed: initializationSeed)
    store.fillUniform(a, bound: 1 / Float(store[a].shape[1]).squareRoot(), using: &generator)
    store.fill(b, with: 0)
  }
}

/// The mutable flags of one adapter, behind a lock so that copies of a layer in several threads agree.
private final class LoRAAdapterState: @unchecked Sendable {
  struct Flags {
    var isEnabled = true
    var isMerged = false
  }

  private let lock = NSLock()
  private var flags = Flags()

  func read<T>(_ body: (Flags) -> T) -> T { lock.withLock { body(flags) } }
  func read<T>(_ keyPath: KeyPath<Flags, T>) -> T { lock.withLock { flags[keyPath: keyPath] } }
  func write(_ body: (inout Flags) -> Void) { lock.withLock { body(&flags) } }
}
