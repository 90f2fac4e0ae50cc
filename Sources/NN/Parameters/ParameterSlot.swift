/// One named parameter: its shape, where it lives in the store's buffers, and how training treats it.
public struct ParameterSlot: Sendable, Equatable {
  /// The dotted PyTorch name (`blocks.0.mlp.fc1.weight`), the key in checkpoints.
  public let name: String
  /// The shape, PyTorch layout (a linear weight is `out × in`).
  public let shape: [Int]
  /// The index of the first element in the store's buffers (a multiple of 16 floats: 64-byte aligned).
  public let offset: Int
  /// The number of elements.
  public let count: Int
  /// Whether the optimizer updates the parameter. A trainable parameter always needs its gradient.
  public internal(set) var trainable: Bool
  /// Whether backward passes compute the parameter's gradient. True for every trainable parameter, and for a
  /// frozen one whose gradient is wanted anyway (LoRA-GA initializes adapters from a frozen weight's gradient).
  public internal(set) var needsGradient: Bool
  /// The optimizer group.
  public internal(set) var group: ParameterGroup

  /// The element range in the store's buffers.
  public var range: Range<Int> { offset..<(offset + count) }
}
