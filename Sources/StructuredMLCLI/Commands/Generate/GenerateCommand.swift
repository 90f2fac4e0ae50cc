import Foundation
import NN
import Pretrained
import TensorCore

/// `structml generate`: continues a text prompt with a trained byte-level language model (a key/value cache
/// for a Transformer, the recurrent mode for a state-space LM), or with a GPT-2-family Hugging Face model
/// folder (its byte-level BPE tokenizer encodes the prompt and decodes the output).
enum GenerateCommand {
  static let command = Command(
    path: ["generate"],
    summary: "continue a text prompt with a trained byte-level language model or a GPT-2 model folder",
    options: [
      .inputFolder(
        "checkpoint", "RUN_DIR", "the run folder of a language model trained on text by 'structml train'",
        files: RunCheckpoint.files),
      .inputFolder(
        "model", "DIR", "a GPT-2-family Hugging Face folder (config.json, model.safetensors, vocab.json + merges.txt)",
        files: ["config.json", "model.safetensors"]),
      .value("prompt", "TEXT", "the text to continue (its UTF-8 bytes, or its BPE tokens with --model)"),
      .value("tokens", "N", "tokens to generate (bytes with --checkpoint; default 200)"),
      .value("temperature", "T", "sampling temperature; 0 is greedy (default 0.8)"),
      .value("top-k", "K", "sample among the K most likely tokens only (default: all)"),
      .value("seed", "S", "seed of the sampling (default 0)"),
    ]
  ) { arguments, console in
    let (checkpoint, modelFolder) = (arguments.string("checkpoint"), arguments.string("model"))
    guard checkpoint == nil || modelFolder == nil else { throw CommandError.usage(oneModelMessage) }
    let prompt = try arguments.requiredString("prompt")
    let count = try arguments.int("tokens", default: 200, in: 0...1_000_000)!
    let temperature = try arguments.double("temperature", default: 0.8)!
    guard temperature.isFinite, temperature >= 0 else {
      throw CommandError.usage("option '--temperature' must be finite and not negative, got \(temperature)")
    }
    let topK = try arguments.int("top-k", in: 1...1 << 20)
    let seed = try arguments.int("seed", default: 0, in: 0...Int.max)!
    guard !prompt.isEmpty else { throw CommandError.usage("option '--prompt' is empty; give at least one character") }
    var generator = SeededGenerator(seed: UInt64(seed))
    if let modelFolder {
      let text = try generateWithModelFolder(
        URL(fileURLWithPath: modelFolder), prompt: prompt, tokens: count, temperature: temperature, topK: topK,
        using: &generator)
      console.print(printable(Array(text.utf8)))
      return
    }
    guard let checkpoint else { throw CommandError.usage(oneModelMessage) }
    let model = try loadByteLanguageModel(URL(fileURLWithPath: checkpoint))
    let generated: [Int32]
    do {
      generated = try model.generate(
        prompt: prompt.utf8.map { Int32($0) }, tokens: count, temperature: temperature, topK: topK, using: &generator)
    } catch {
      throw CommandError.failure("\(error)")
    }
    console.print(printable(Array(prompt.utf8) + generated.map { UInt8(truncatingIfNeeded: $0) }))
  }

  static let oneModelMessage = "give exactly one of '--checkpoint RUN_DIR' and '--model DIR'"

  /// The prompt and its continuation by the GPT-2-family model of a Hugging Face folder, decoded (invalid
  /// UTF-8 where a character is cut off becomes U+FFFD).
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the folder's file, field or tensor.
  static func generateWithModelFolder(
    _ folder: URL, prompt: String, tokens count: Int, temperature: Double, topK: Int?,
    using generator: inout SeededGenerator
  ) throws -> String {
    do {
      let gpt2 = try GPT2Folder(folder)
      let result = try gpt2.generate(prompt: prompt, tokens: count, temperature: temperature, topK: topK, using: &generator)
      return try gpt2.tokenizer.decode(result.prompt + result.generated)
    } catch {
      throw CommandError.failure("\(error)")
    }
  }

  /// The language model of a run folder, with its weights, if it reads bytes.
  ///
  /// - Throws: ``CommandError/failure(_:)`` for a folder without a usable checkpoint, a classifier, or a
  ///   language model of another vocabulary (trained on the built-in chain).
  static func loadByteLanguageModel(_ folder: URL) throws -> LanguageModel {
    let configuration: RunConfiguration
    do {
      configuration = try RunCheckpoint.readConfiguration(from: folder)
    } catch {
      throw CommandError.failure("\(error)")
    }
    guard case .languageModel(let lm) = configuration.model else {
      throw CommandError.failure("\(folder.path) holds a classifier, not a language model; 'generate' needs a language model")
    }
    guard lm.vocabularySize == 256 else {
      throw CommandError.failure(
        "\(folder.path) holds a language model of \(lm.vocabularySize) tokens (the built-in Markov chain), not bytes; "
          + "train one with --data TEXT_FILE")
    }
    do {
      let model = try LanguageModel(lm)
      let state = try RunCheckpoint.readState(from: folder)
      try RunCheckpoint.load(into: model.parameters, from: folder, moments: false, step: state.step)
      return model
    } catch {
      throw CommandError.failure("\(error)")
    }
  }

  /// `bytes` as text to print: valid UTF-8 as it is, each byte of an invalid sequence as `\xNN`, a backslash
  /// as `\\` (so the escapes are unambiguous); newlines are kept, and every other control or format character
  /// is escaped as ``TerminalText/escaped(_:)`` writes it (`\t`, `\u{1B}`).
  static func printable(_ bytes: [UInt8]) -> String {
    var output = ""
    var index = 0
    while index < bytes.count {
      var decoder = UTF8()
      var iterator = bytes[index...].makeIterator()
      switch decoder.decode(&iterator) {
      case .scalarValue(let scalar):
        let text = String(scalar)
        output += scalar == "\\" ? #"\\"# : scalar == "\n" ? text : TerminalText.escaped(text)
        index += text.utf8.count
      case .error:
        output += String(format: "\\x%02X", bytes[index])
        index += 1
      case .emptyInput:
        index = bytes.count
      }
    }
    return output
  }
}
