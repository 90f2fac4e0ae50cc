import Foundation

extension ByteLevelBPETokenizer {
  /// Reads the tokenizer of a model folder: `vocab.json` and `merges.txt` when both are there, otherwise
  /// `tokenizer.json`.
  ///
  /// - Throws: ``TokenizerError`` naming the file (see ``init(vocabularyFile:mergesFile:)`` and
  ///   ``init(tokenizerFile:)``); ``TokenizerError/unreadableFile(file:reason:)`` for a folder with neither.
  public convenience init(folder: URL) throws(TokenizerError) {
    let vocabulary = folder.appendingPathComponent("vocab.json")
    let merges = folder.appendingPathComponent("merges.txt")
    let manager = FileManager.default
    if manager.fileExists(atPath: vocabulary.path), manager.fileExists(atPath: merges.path) {
      try self.init(vocabularyFile: vocabulary, mergesFile: merges)
    } else if manager.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) {
      try self.init(tokenizerFile: folder.appendingPathComponent("tokenizer.json"))
    } else {
      throw .unreadableFile(
        file: folder.path, reason: "the folder holds neither vocab.json with merges.txt nor tokenizer.json")
    }
  }

  /// Reads GPT-2's two tokenizer files.
  ///
  /// - Parameters:
  ///   - vocabularyFile: `vocab.json`, an object from token to id.
  ///   - mergesFile: `merges.txt`, an optional `#version` line, then one merge per line: two symbols
  ///     separated by one space, highest priority first.
  /// - Throws: ``TokenizerError/unreadableFile(file:reason:)``; ``TokenizerError/malformedFile(file:line:reason:)``
  ///   for a vocabulary that is not an object of integer ids, a merges line that is not two symbols (naming
  ///   the line), or what ``init(vocabulary:merges:specialTokens:vocabularyFile:mergesFile:)`` rejects.
  public convenience init(vocabularyFile: URL, mergesFile: URL) throws(TokenizerError) {
    let vocabulary = try Self.decode([String: Int32].self, from: vocabularyFile)
    let text = try Self.readText(mergesFile)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last == "" { lines.removeLast() }
    var merges: [(first: String, second: String, line: Int)] = []
    for (index, rawLine) in lines.enumerated() {
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      if index == 0, line.hasPrefix("#version") { continue }
      let symbols = line.split(separator: " ", omittingEmptySubsequences: false)
      guard symbols.count == 2, !symbols[0].isEmpty, !symbols[1].isEmpty else {
        throw .malformedFile(
          file: mergesFile.path, line: index + 1,
          reason: "expected two symbols separated by one space, got \(symbols.count == 1 ? "one" : "\(symbols.count) fields")")
      }
      merges.append((String(symbols[0]), String(symbols[1]), index + 1))
    }
    try self.init(vocabulary: vocabulary, merges: merges, vocabularyFile: vocabularyFile.path, mergesFile: mergesFile.path)
  }

  /// Reads a `tokenizer.json` whose model is `BPE` (`model.vocab`, `model.merges` as `"a b"` strings or
  /// `["a", "b"]` pairs); its `added_tokens` marked special become ``specialTokens``.
  ///
  /// - Throws: ``TokenizerError/unreadableFile(file:reason:)``; ``TokenizerError/malformedFile(file:line:reason:)``
  ///   for a model that is not BPE, a missing or mistyped field, or a merge that is not two symbols.
  public convenience init(tokenizerFile: URL) throws(TokenizerError) {
    let file = tokenizerFile.path
    let root = try Self.decode(TokenizerJSON.self, from: tokenizerFile)
    guard root.model.type == "BPE", let vocabulary = root.model.vocab, let entries = root.model.merges else {
      throw .malformedFile(
        file: file, line: nil, reason: "model.type is '\(root.model.type)', expected BPE with model.vocab and model.merges")
    }
    var merges: [(first: String, second: String, line: Int)] = []
    for (index, symbols) in entries.enumerated() {
      guard symbols.parts.count == 2, !symbols.parts[0].isEmpty, !symbols.parts[1].isEmpty else {
        throw .malformedFile(file: file, line: nil, reason: "model.merges[\(index)] is not two symbols")
      }
      merges.append((symbols.parts[0], symbols.parts[1], index + 1))
    }
    var special = (root.addedTokens ?? []).filter { $0.special ?? false }.map(\.content)
    if !special.contains(Self.endOfText) { special.append(Self.endOfText) }
    try self.init(vocabulary: vocabulary, merges: merges, specialTokens: special, vocabularyFile: file, mergesFile: file)
  }

  /// The fields of `tokenizer.json` a BPE tokenizer needs.
  private struct TokenizerJSON: Decodable {
    struct Model: Decodable {
      let type: String
      let vocab: [String: Int32]?
      let merges: [Merge]?
    }
    /// A merge written `"a b"` or `["a", "b"]`.
    struct Merge: Decodable {
      let parts: [String]
      init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
          parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        } else {
          parts = try container.decode([String].self)
        }
      }
    }
    struct AddedToken: Decodable {
      let content: String
      let special: Bool?
    }
    let model: Model
    let addedTokens: [AddedToken]?
    private enum CodingKeys: String, CodingKey { case model, addedTokens = "added_tokens" }
  }

  private static func readData(_ url: URL) throws(TokenizerError) -> Data {
    do {
      return try Data(contentsOf: url)
    } catch {
      throw .unreadableFile(file: url.path, reason: "cannot be read (\((error as NSError).localizedDescription))")
    }
  }

  private static func readText(_ url: URL) throws(TokenizerError) -> String {
    guard let text = String(data: try readData(url), encoding: .utf8) else {
      throw .malformedFile(file: url.path, line: nil, reason: "not UTF-8 text")
    }
    return text
  }

  private static func decode<Value: Decodable>(_ type: Value.Type, from url: URL) throws(TokenizerError) -> Value {
    let data = try readData(url)
    do {
      return try JSONDecoder().decode(type, from: data)
    } catch {
      throw .malformedFile(file: url.path, line: nil, reason: "not the JSON expected (\(error))")
    }
  }
}
