import Foundation
import NN
import TensorCore
import TensorFiles

/// A GPT-2-family model folder as Hugging Face's `save_pretrained` writes it: `config.json`,
/// `model.safetensors` and the byte-level BPE tokenizer (`vocab.json` + `merges.txt`, or `tokenizer.json`),
/// loaded into a `LanguageModel` that computes what `GPT2LMHeadModel` computes.
///
/// ```swift
/// let gpt2 = try GPT2Folder(folder)
/// var generator = SeededGenerator(seed: 0)
/// let text = try gpt2.generate(prompt: "Hello", tokens: 20, temperature: 0, using: &generator)
/// ```
public struct GPT2Folder {
  /// The folder read.
  public let folder: URL
  /// The model's `config.json`, checked.
  public let configuration: GPT2Configuration
  /// The decoder with the folder's weights.
  public let model: LanguageModel
  /// The folder's tokenizer.
  public let tokenizer: ByteLevelBPETokenizer

  /// Reads the folder.
  ///
  /// - Throws: ``PretrainedModelError`` naming the file, field or tensor (see ``GPT2Configuration`` and
  ///   ``GPT2Weights/load(into:from:)``; ``PretrainedModelError/invalidConfiguration(file:field:reason:)`` for
  ///   a `vocab_size` other than the tokenizer's); ``TokenizerError`` for the tokenizer's files.
  public init(_ folder: URL) throws {
    self.folder = folder
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw PretrainedModelError.unreadableFile(file: folder.path, reason: "not a folder")
    }
    let configurationFile = folder.appendingPathComponent("config.json")
    configuration = try GPT2Configuration(contentsOf: configurationFile)
    tokenizer = try ByteLevelBPETokenizer(folder: folder)
    guard tokenizer.vocabularySize <= configuration.vocabularySize else {
      throw PretrainedModelError.invalidConfiguration(
        file: configurationFile.path, field: "vocab_size",
        reason: "\(configuration.vocabularySize) is below the tokenizer's \(tokenizer.vocabularySize) tokens")
    }
    do {
      model = try LanguageModel(configuration.languageModel)
    } catch {
      throw PretrainedModelError.invalidConfiguration(file: configurationFile.path, field: "(sizes)", reason: "\(error)")
    }
    let weightsFile = folder.appendingPathComponent("model.safetensors")
    let weights: SafetensorsFile
    do {
      weights = try SafetensorsFile(contentsOf: weightsFile)
    } catch {
      throw PretrainedModelError.unreadableFile(file: weightsFile.path, reason: "\(error)")
    }
    try GPT2Weights.load(into: model, from: weights)
  }

  /// Continues `prompt` by `count` tokens (greedy at temperature 0) with the key/value cache of
  /// `LanguageModel/generate(prompt:tokens:temperature:topK:using:)`.
  ///
  /// - Returns: The ids of the prompt and of the generated tokens.
  /// - Throws: `TrainingError` for a prompt that encodes to no token, a negative count, or an invalid
  ///   temperature or `topK`.
  public func generate(
    prompt: String, tokens count: Int, temperature: Double, topK: Int? = nil, using generator: inout SeededGenerator
  ) throws(TrainingError) -> (prompt: [Int32], generated: [Int32]) {
    let ids = tokenizer.encode(prompt)
    return (ids, try model.generate(prompt: ids, tokens: count, temperature: temperature, topK: topK, using: &generator))
  }
}
