import TensorCore

extension RunComponents {
  /// A generous estimate of the bytes one training step of `model` at `batchSize` keeps in its workspace:
  /// every activation of the forward pass and its gradient, in `Float`, computed in `Double` so that no
  /// product of sizes from a file overflows.
  ///
  /// - Classifier: `batch × Σ widths` values for pre-activations, activations and their gradients.
  /// - Language model, per token of the batch: for each block the attention's or mixer's inputs and outputs
  ///   (`(8 + 2·expansion)·width`), the attention weights of every head (`heads × context`, or the long
  ///   convolution's transforms, `16·width`), and the logits and their gradient (`2 × vocabulary`).
  static func estimatedStepBytes(_ model: ModelConfiguration, batchSize: Int) -> Double {
    let batch = Double(batchSize)
    switch model {
    case .mlp(let mlp):
      return 2 * 4 * 4 * batch * mlp.widths.reduce(0) { $0 + Double($1) }
    case .languageModel(let lm):
      let width = Double(lm.width)
      let tokens = batch * Double(lm.contextLength)
      let mixing: Double =
        switch lm.mixer {
        case .attention(let heads, _, _): Double(heads) * Double(lm.contextLength)
        case .longConvolution: 16 * width
        }
      let perBlock = (8 + 2 * Double(lm.feedForwardExpansion)) * width + mixing
      let perToken = Double(lm.layers) * perBlock + 2 * Double(lm.vocabularySize) + 4 * width
      return 2 * 4 * tokens * perToken
    }
  }

  /// Throws when one step's activations would not fit in physical memory.
  ///
  /// - Throws: ``TrainingError/batchDoesNotFit(layer:reason:)`` naming the estimate and the memory.
  static func requireStepFitsInMemory(_ model: ModelConfiguration, batchSize: Int) throws(TrainingError) {
    let bytes = estimatedStepBytes(model, batchSize: batchSize)
    guard let available = PhysicalMemory.bytes, bytes > Double(available) else { return }
    throw .batchDoesNotFit(
      layer: "model",
      reason: "one step at batch size \(batchSize) needs about \(Int(bytes / 1_048_576)) MiB of activations, more than "
        + "the \(available / 1_048_576) MiB of memory this machine has")
  }
}
