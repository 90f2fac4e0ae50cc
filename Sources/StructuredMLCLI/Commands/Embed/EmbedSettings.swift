import Foundation
import Pretrained

/// The options of `structml embed`, checked before the model is loaded.
struct EmbedSettings {
  /// The `--model` option of `embed` and `bench embed`: a BERT-family model folder.
  static let modelOption = OptionSpec.inputFolder(
    "model", "DIR", "a model folder: config.json, model.safetensors, vocab.txt (a 'monarch compress' output too)",
    files: ["config.json", "model.safetensors", "vocab.txt"])

  let modelPath: String
  let inputPath: String
  let pooling: SentencePooling?
  let normalize: Bool
  let batchSize: Int
  let maximumLength: Int?

  /// Reads and checks the options.
  ///
  /// - Throws: ``CommandError/usage(_:)`` for a missing option or a value out of range.
  init(_ arguments: ParsedArguments) throws {
    modelPath = try arguments.requiredString("model")
    inputPath = try arguments.requiredString("input")
    _ = try arguments.requiredString("output")
    pooling = try arguments.choice("pooling", SentencePooling.allCases.map(\.rawValue)).flatMap(SentencePooling.init)
    normalize = arguments.flag("normalize")
    batchSize = try arguments.int("batch", default: 32, in: 1...65536)!
    maximumLength = try arguments.int("max-length", in: 2...1 << 20)
  }

  /// The model folder's embedder with the options applied.
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the folder and what is wrong with it.
  func loadEmbedder() throws -> SentenceEmbedder {
    var embedder: SentenceEmbedder
    do {
      embedder = try SentenceEmbedder(folder: URL(fileURLWithPath: modelPath))
    } catch {
      throw CommandError.failure("option '--model': \(modelPath): \(error)")
    }
    if let pooling { embedder.pooling = pooling }
    if normalize { embedder.normalizes = true }
    if let maximumLength {
      let positions = embedder.encoder.configuration.maximumPositions
      guard maximumLength <= positions else {
        throw CommandError.usage("option '--max-length' must be at most the model's \(positions) positions, got \(maximumLength)")
      }
      embedder.maximumLength = maximumLength
    }
    return embedder
  }

  /// The lines of a UTF-8 text file (split on `\n`, a final newline ending the last line).
  ///
  /// - Throws: ``CommandError/failure(_:)`` when the file cannot be read, is not UTF-8 or holds no sentence.
  static func readSentences(_ path: String) throws -> [String] {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw CommandError.failure("option '--input': cannot read \(path): \(error.localizedDescription)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw CommandError.failure("option '--input': \(path) is not UTF-8 text")
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    guard !lines.isEmpty else { throw CommandError.failure("option '--input': \(path) holds no sentence") }
    return lines
  }
}
