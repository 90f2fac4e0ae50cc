import Foundation

/// Sentence embeddings from a BERT-family model folder, as sentence-transformers computes them: tokenize,
/// truncate to `max_seq_length`, encode, pool (mean by default) and, where the folder's pipeline ends in a
/// `Normalize` module, L2-normalize.
///
/// The pipeline is read from the folder when its sentence-transformers files are present: `modules.json` (a
/// `sentence_transformers.models.Normalize` module turns normalization on), `sentence_bert_config.json`
/// (`max_seq_length`) and the pooling module's `config.json` (`pooling_mode_cls_token`). Without them: mean
/// pooling, no normalization, and the model's `max_position_embeddings` as the length limit.
public struct SentenceEmbedder: Sendable {
  /// The encoder.
  public let encoder: BertEncoder
  /// The tokenizer of the same folder.
  public let tokenizer: WordPieceTokenizer
  /// How token states become a sentence embedding.
  public var pooling: SentencePooling
  /// Whether embeddings are L2-normalized.
  public var normalizes: Bool
  /// The longest encoding, special tokens included; longer sentences are truncated.
  public var maximumLength: Int

  /// The width of an embedding.
  public var dimension: Int { encoder.configuration.hiddenSize }

  /// Loads the model, tokenizer and pipeline settings of a folder.
  ///
  /// - Throws: ``PretrainedModelError`` for the model's files and the sentence-transformers settings (naming
  ///   the file and field), ``TokenizerError`` for the tokenizer's.
  public init(folder: URL) throws {
    encoder = try BertEncoder(folder: folder)
    tokenizer = try WordPieceTokenizer(folder: folder)
    let settings = try SentenceTransformersSettings(folder: folder)
    pooling = settings.pooling
    normalizes = settings.normalizes
    maximumLength = min(settings.maximumLength ?? encoder.configuration.maximumPositions, encoder.configuration.maximumPositions)
  }

  /// The embeddings of `sentences`, `count × dimension` row-major, computed `batchSize` sentences at a time.
  ///
  /// - Throws: ``TokenizerError`` or ``PretrainedModelError`` from the tokenizer or the encoder.
  /// - Complexity: One encoder pass per batch; activations live in the encoder's reused workspace.
  public func embed(_ sentences: [String], batchSize: Int = 32) throws -> [Float] {
    precondition(batchSize >= 1, "SentenceEmbedder.embed: batch size \(batchSize)")
    let width = dimension
    var embeddings = [Float](repeating: 0, count: sentences.count * width)
    var hidden: [Float] = []
    for start in stride(from: 0, to: sentences.count, by: batchSize) {
      let batch = try tokenizer.encodeBatch(
        Array(sentences[start..<min(start + batchSize, sentences.count)]), maximumLength: maximumLength)
      let needed = batch.batch * batch.sequenceLength * width
      if hidden.count < needed { hidden = [Float](repeating: 0, count: needed) }
      try hidden.withUnsafeMutableBufferPointer { buffer in
        try encoder.hiddenStates(batch, into: buffer.baseAddress!)
        embeddings.withUnsafeMutableBufferPointer { output in
          pooling.pool(
            buffer.baseAddress!, batch: batch, width: width, normalize: normalizes,
            into: output.baseAddress! + start * width)
        }
      }
    }
    return embeddings
  }
}

/// What a sentence-transformers folder says about its pipeline.
struct SentenceTransformersSettings {
  var pooling = SentencePooling.mean
  var normalizes = false
  var maximumLength: Int?

  private struct Module: Decodable {
    let path: String?
    let type: String
  }

  private struct PoolingConfiguration: Decodable {
    let pooling_mode_cls_token: Bool?
    let pooling_mode_mean_tokens: Bool?
  }

  private struct BertConfiguration: Decodable {
    let max_seq_length: Int?
  }

  init(folder: URL) throws(PretrainedModelError) {
    if let modules = try Self.decode([Module].self, folder.appendingPathComponent("modules.json")) {
      normalizes = modules.contains { $0.type.hasSuffix("models.Normalize") }
      if let path = modules.first(where: { $0.type.hasSuffix("models.Pooling") })?.path, !path.isEmpty {
        let url = folder.appendingPathComponent(path).appendingPathComponent("config.json")
        if let pooling = try Self.decode(PoolingConfiguration.self, url), pooling.pooling_mode_cls_token == true,
          pooling.pooling_mode_mean_tokens != true
        {
          self.pooling = .cls
        }
      }
    }
    let url = folder.appendingPathComponent("sentence_bert_config.json")
    if let configuration = try Self.decode(BertConfiguration.self, url), let length = configuration.max_seq_length {
      guard length >= 2 else {
        throw .invalidConfiguration(file: url.path, field: "max_seq_length", reason: "\(length) cannot hold [CLS] and [SEP]")
      }
      maximumLength = length
    }
  }

  private static func decode<Value: Decodable>(_ type: Value.Type, _ url: URL) throws(PretrainedModelError) -> Value? {
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    do {
      return try JSONDecoder().decode(Value.self, from: Data(contentsOf: url))
    } catch {
      throw .invalidConfiguration(file: url.path, field: "(file)", reason: "not a sentence-transformers settings file (\(error))")
    }
  }
}
