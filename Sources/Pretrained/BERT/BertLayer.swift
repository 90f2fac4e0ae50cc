import NN

/// One transformer block of a BERT encoder (`encoder.layer.N`): self-attention with its output projection,
/// residual and norm, then the feed-forward block with its residual and norm (post-norm).
struct BertLayer: Sendable {
  let query: any LinearLayer
  let key: any LinearLayer
  let value: any LinearLayer
  let attentionOutput: any LinearLayer
  let attentionNorm: LayerNorm
  let intermediate: any LinearLayer
  let output: any LinearLayer
  let outputNorm: LayerNorm

  /// Declares the block's parameters under `encoder.layer.index`, each linear map dense or Monarch as the folder
  /// stores it.
  init(
    index: Int, configuration: BertConfiguration, folder: HuggingFaceModelFolder, layout: inout ParameterLayout
  ) throws {
    let name = "encoder.layer.\(index)"
    let (h, i) = (configuration.hiddenSize, configuration.intermediateSize)
    func linear(_ suffix: String, _ input: Int, _ output: Int) throws -> any LinearLayer {
      try folder.linearLayer("\(name).\(suffix)", inputFeatures: input, outputFeatures: output, layout: &layout)
    }
    query = try linear("attention.self.query", h, h)
    key = try linear("attention.self.key", h, h)
    value = try linear("attention.self.value", h, h)
    attentionOutput = try linear("attention.output.dense", h, h)
    attentionNorm = try LayerNorm(
      "\(name).attention.output.LayerNorm", features: h, epsilon: configuration.layerNormEpsilon, layout: &layout)
    intermediate = try linear("intermediate.dense", h, i)
    output = try linear("output.dense", i, h)
    outputNorm = try LayerNorm(
      "\(name).output.LayerNorm", features: h, epsilon: configuration.layerNormEpsilon, layout: &layout)
  }
}
