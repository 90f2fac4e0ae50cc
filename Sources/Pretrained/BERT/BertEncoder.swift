import Foundation
import NN
import TensorCore

/// A BERT-family encoder (Hugging Face `BertModel`) run from its own folder: token, position and token-type
/// embeddings, then post-norm transformer blocks with bidirectional attention over each sequence's real tokens.
///
/// Weights are decoded once into one `ParameterStore` under the checkpoint's names (`bert.` prefix or none,
/// `LayerNorm.gamma`/`beta` accepted); the pooler and the `embeddings.position_ids` buffer are not read. Each
/// linear map is a dense `Linear` or, in a folder written by `structml monarch compress`, a
/// `MonarchLinearLayer`. The forward pass runs every linear map as one product over the whole batch
/// (`batch·sequenceLength` rows), with all activations in one reusable `Workspace`.
///
/// ```swift
/// let encoder = try BertEncoder(folder: modelFolder)
/// let tokenizer = try WordPieceTokenizer(folder: modelFolder)
/// let hidden = try encoder.hiddenStates(try tokenizer.encodeBatch(sentences))
/// ```
public final class BertEncoder: @unchecked Sendable {
  /// The architecture.
  public let configuration: BertConfiguration
  /// The weights.
  public let parameters: ParameterStore
  /// The folder the weights came from, with the tensor prefix it uses.
  public let folder: HuggingFaceModelFolder
  let wordEmbeddings: Embedding
  let positionEmbeddings: Embedding
  let tokenTypeEmbeddings: Embedding
  let embeddingNorm: LayerNorm
  let layers: [BertLayer]
  let attention: BidirectionalAttention
  let activation: GELU
  private let workspace = Workspace()
  private let lock = NSLock()

  /// Loads the encoder of a Hugging Face model folder (`config.json` and `model.safetensors`).
  ///
  /// - Throws: ``PretrainedModelError`` naming the file, field or tensor that is missing, unsupported or
  ///   misshapen.
  public convenience init(folder url: URL) throws(PretrainedModelError) {
    try self.init(folder: try HuggingFaceModelFolder(url: url))
  }

  /// Loads the encoder of an opened folder.
  ///
  /// - Throws: ``PretrainedModelError`` as the initializer from a URL does.
  public init(folder opened: HuggingFaceModelFolder) throws(PretrainedModelError) {
    configuration = try BertConfiguration(opened.configuration)
    folder = try opened.resolvingPrefix(among: ["", "bert."], holding: "embeddings.word_embeddings.weight")
    var layout = ParameterLayout()
    let c = configuration
    do {
      wordEmbeddings = try Embedding(
        "embeddings.word_embeddings", vocabularySize: c.vocabularySize, features: c.hiddenSize, layout: &layout)
      positionEmbeddings = try Embedding(
        "embeddings.position_embeddings", vocabularySize: c.maximumPositions, features: c.hiddenSize, layout: &layout)
      tokenTypeEmbeddings = try Embedding(
        "embeddings.token_type_embeddings", vocabularySize: c.tokenTypes, features: c.hiddenSize, layout: &layout)
      embeddingNorm = try LayerNorm(
        "embeddings.LayerNorm", features: c.hiddenSize, epsilon: c.layerNormEpsilon, layout: &layout)
      var layers: [BertLayer] = []
      for index in 0..<c.layers {
        layers.append(try BertLayer(index: index, configuration: c, folder: folder, layout: &layout))
      }
      self.layers = layers
      parameters = try ParameterStore(layout: layout)
    } catch let error as PretrainedModelError {
      throw error
    } catch {
      throw .invalidConfiguration(file: opened.configuration.file, field: "(architecture)", reason: "\(error)")
    }
    attention = BidirectionalAttention(width: c.hiddenSize, heads: c.heads)
    activation = GELU(approximation: c.activation)
    try folder.load(into: parameters)
  }

  /// The last hidden states of a padded batch, `batch × sequenceLength × hiddenSize` row-major; rows at padding
  /// positions hold what the model computes there (as PyTorch's do) and are to be ignored.
  ///
  /// - Throws: ``PretrainedModelError/invalidInput(reason:)`` for a sequence longer than
  ///   `max_position_embeddings`, a token id or type out of range, or an empty sequence.
  public func hiddenStates(_ batch: TokenBatch) throws(PretrainedModelError) -> [Float] {
    var result = [Float](repeating: 0, count: batch.batch * batch.sequenceLength * configuration.hiddenSize)
    try result.withUnsafeMutableBufferPointer { buffer throws(PretrainedModelError) in
      try hiddenStates(batch, into: buffer.baseAddress!)
    }
    return result
  }

  /// Writes the last hidden states of a padded batch into `output` (`batch·sequenceLength·hiddenSize` floats).
  ///
  /// Calls are serialized: the encoder's one workspace holds the activations.
  ///
  /// - Throws: What ``hiddenStates(_:)`` throws.
  /// - Complexity: O(layers·N·H·(4H + 2I) + layers·batch·T²·H) for N = batch·T tokens: the linear maps are
  ///   GEMMs over all N rows.
  public func hiddenStates(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>) throws(PretrainedModelError) {
    try validate(batch)
    lock.lock()
    defer { lock.unlock() }
    workspace.reset()
    let (n, h, t) = (batch.batch * batch.sequenceLength, configuration.hiddenSize, batch.sequenceLength)
    guard n > 0 else { return }
    let hidden = MutableMatrixView(output, rows: n, columns: h)
    let embedded = workspace.matrix(rows: n, columns: h)
    embed(batch, into: embedded)
    _ = embeddingNorm.forward(embedded.readOnly, into: hidden, parameters: parameters, workspace: workspace)
    let (q, k, v) = (workspace.matrix(rows: n, columns: h), workspace.matrix(rows: n, columns: h), workspace.matrix(rows: n, columns: h))
    let context = workspace.matrix(rows: n, columns: h)
    let projected = workspace.matrix(rows: n, columns: h)
    let afterAttention = workspace.matrix(rows: n, columns: h)
    let inner = workspace.matrix(rows: n, columns: configuration.intermediateSize)
    for layer in layers {
      let x = hidden.readOnly
      layer.query.forward(x, into: q, parameters: parameters, workspace: workspace, dropoutStep: nil)
      layer.key.forward(x, into: k, parameters: parameters, workspace: workspace, dropoutStep: nil)
      layer.value.forward(x, into: v, parameters: parameters, workspace: workspace, dropoutStep: nil)
      do {
        try attention.forward(
          queries: q.readOnly, keys: k.readOnly, values: v.readOnly, lengths: batch.lengths, sequenceLength: t,
          into: context, workspace: workspace)
      } catch {
        throw .invalidInput(reason: "\(error)")
      }
      layer.attentionOutput.forward(context.readOnly, into: projected, parameters: parameters, workspace: workspace, dropoutStep: nil)
      axpy(count: n * h, alpha: 1, x.base, projected.base)
      _ = layer.attentionNorm.forward(projected.readOnly, into: afterAttention, parameters: parameters, workspace: workspace)
      layer.intermediate.forward(afterAttention.readOnly, into: inner, parameters: parameters, workspace: workspace, dropoutStep: nil)
      activation.forward(inner.readOnly, into: inner)
      layer.output.forward(inner.readOnly, into: projected, parameters: parameters, workspace: workspace, dropoutStep: nil)
      axpy(count: n * h, alpha: 1, afterAttention.base, projected.base)
      _ = layer.outputNorm.forward(projected.readOnly, into: hidden, parameters: parameters, workspace: workspace)
    }
  }

  /// Word + position + token-type embeddings of every token (positions count from 0 in each sequence).
  private func embed(_ batch: TokenBatch, into embedded: MutableMatrixView<Float>) {
    let h = configuration.hiddenSize
    let words = parameters.valueMatrix(wordEmbeddings.weight)
    let positions = parameters.valueMatrix(positionEmbeddings.weight)
    let types = parameters.valueMatrix(tokenTypeEmbeddings.weight)
    let t = batch.sequenceLength
    parallelFor(batch.ids.count, minimumChunk: 64) { tokens in
      for token in tokens {
        let (row, word, position, type) = (
          embedded.row(token), words.row(Int(batch.ids[token])), positions.row(token % t),
          types.row(Int(batch.tokenTypes[token]))
        )
        for j in 0..<h { row[j] = word[j] + position[j] + type[j] }
      }
    }
  }

  private func validate(_ batch: TokenBatch) throws(PretrainedModelError) {
    let c = configuration
    guard batch.sequenceLength <= c.maximumPositions else {
      throw .invalidInput(
        reason: "a sequence of \(batch.sequenceLength) tokens is longer than max_position_embeddings \(c.maximumPositions)")
    }
    if let length = batch.lengths.first(where: { $0 < 1 }) {
      throw .invalidInput(reason: "a sequence of \(length) tokens (every sequence needs at least one)")
    }
    if let index = batch.ids.firstIndex(where: { $0 < 0 || Int($0) >= c.vocabularySize }) {
      throw .invalidInput(reason: "token id \(batch.ids[index]) at position \(index) is outside the vocabulary of \(c.vocabularySize)")
    }
    if let index = batch.tokenTypes.firstIndex(where: { $0 < 0 || Int($0) >= c.tokenTypes }) {
      throw .invalidInput(reason: "token type \(batch.tokenTypes[index]) at position \(index) is outside type_vocab_size \(c.tokenTypes)")
    }
  }
}
