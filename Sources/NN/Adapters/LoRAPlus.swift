/// LoRA+ (Hayou, Ghosh, Yu 2024): `B` learns `ratio` times faster than `A`, through the optimizer's parameter
/// groups, with PEFT's grouping (`create_loraplus_optimizer`).
///
/// Every trainable parameter goes to one of three groups: ``b`` (the `lora_B` factors, rate `lr·ratio`,
/// the given weight decay), ``undecayedB`` (every other trainable 1-D parameter: biases and norm weights,
/// rate `lr·ratio`, no decay) and ``a`` (everything else, the `lora_A` factors first: rate `lr`, the given
/// weight decay).
public enum LoRAPlus {
  /// The usual ratio `η_B / η_A` (PEFT's documentation and the LoRA-GA configurations).
  public static let defaultRatio: Float = 16
  /// The group of the `lora_A` factors (and other trainable matrices): learning rate `lr`.
  public static let a = ParameterGroup("loraplus_A")
  /// The group of the `lora_B` factors: learning rate `lr·ratio`.
  public static let b = ParameterGroup("loraplus_B")
  /// The group of trainable 1-D parameters: learning rate `lr·ratio`, no weight decay.
  public static let undecayedB = ParameterGroup("loraplus_B_no_decay")

  /// Moves every trainable parameter of `store` into its LoRA+ group and returns the table of their
  /// hyperparameters, for ``AdamW`` or ``SGD``.
  ///
  /// - Parameters:
  ///   - store: The model's parameters, adapters in place and the base frozen.
  ///   - learningRate: `η_A`.
  ///   - ratio: `η_B / η_A`.
  ///   - weightDecay: The decay of ``a`` and ``b`` (PEFT's `loraplus_weight_decay`, 0 by default).
  /// - Throws: ``LoRAError/invalidLearningRateRatio(_:)`` for a ratio that is not finite and positive.
  public static func groupTable(
    assigningGroupsIn store: ParameterStore, learningRate: Float, ratio: Float = defaultRatio,
    weightDecay: Float = 0
  ) throws(LoRAError) -> GroupTable {
    guard ratio.isFinite, ratio > 0 else { throw .invalidLearningRateRatio(Double(ratio)) }
    for (index, slot) in store.slots.enumerated() where slot.trainable {
      let group: ParameterGroup
      if slot.name.contains(".lora_B.") {
        group = b
      } else if slot.shape.count == 1 {
        group = undecayedB
      } else {
        group = a
      }
      store.setGroup(group, for: ParameterID(index: index))
    }
    let fast = learningRate * ratio
    return GroupTable(
      learningRate: learningRate, weightDecay: weightDecay,
      overrides: [
        a: GroupHyperparameters(learningRate: learningRate, weightDecay: weightDecay),
        b: GroupHyperparameters(learningRate: fast, weightDecay: weightDecay),
        undecayedB: GroupHyperparameters(learningRate: fast, weightDecay: 0),
      ])
  }
}
