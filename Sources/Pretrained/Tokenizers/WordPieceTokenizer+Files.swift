import Foundation

extension WordPieceTokenizer {
  /// Reads the tokenizer of a Hugging Face model folder: `vocab.txt`, with the normalizer settings and special
  /// tokens of `tokenizer.json` (its `normalizer` and WordPiece `model` sections) when present, else of
  /// `tokenizer_config.json` (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`, `cls_token`, ...),
  /// else BERT's defaults.
  ///
  /// - Throws: ``TokenizerError/unreadableFile(file:reason:)`` when `vocab.txt` is missing or not UTF-8,
  ///   ``TokenizerError/malformedFile(file:line:reason:)`` naming the configuration file and field that has the
  ///   wrong type, and what ``init(vocabulary:normalizer:specialTokenNames:continuingSubwordPrefix:maximumCharactersPerWord:file:)``
  ///   throws.
  public init(folder: URL) throws(TokenizerError) {
    let vocabularyURL = folder.appendingPathComponent("vocab.txt")
    var normalizer = BertNormalizer()
    var names = SpecialTokenNames()
    var prefix = "##"
    var maximumCharacters = 100
    let configURL = folder.appendingPathComponent("tokenizer_config.json")
    if let config = try Self.decodeIfPresent(TokenizerConfigurationFile.self, configURL) {
      normalizer.lowercase = config.do_lower_case ?? normalizer.lowercase
      normalizer.stripAccents = config.strip_accents ?? normalizer.stripAccents
      normalizer.handleChineseCharacters = config.tokenize_chinese_chars ?? normalizer.handleChineseCharacters
      names.classification = config.cls_token?.content ?? names.classification
      names.separator = config.sep_token?.content ?? names.separator
      names.padding = config.pad_token?.content ?? names.padding
      names.unknown = config.unk_token?.content ?? names.unknown
    }
    let tokenizerURL = folder.appendingPathComponent("tokenizer.json")
    if let tokenizer = try Self.decodeIfPresent(TokenizerFile.self, tokenizerURL) {
      if let section = tokenizer.normalizer, section.type == "BertNormalizer" {
        normalizer.cleanText = section.clean_text ?? normalizer.cleanText
        normalizer.handleChineseCharacters = section.handle_chinese_chars ?? normalizer.handleChineseCharacters
        normalizer.stripAccents = section.strip_accents
        normalizer.lowercase = section.lowercase ?? normalizer.lowercase
      }
      if let model = tokenizer.model, model.type == "WordPiece" {
        names.unknown = model.unk_token ?? names.unknown
        prefix = model.continuing_subword_prefix ?? prefix
        if let limit = model.max_input_chars_per_word {
          guard limit >= 1 else {
            throw .malformedFile(
              file: tokenizerURL.path, line: nil, reason: "field 'model.max_input_chars_per_word' is \(limit), not positive")
          }
          maximumCharacters = limit
        }
      }
    }
    try self.init(
      vocabulary: try Self.readVocabulary(vocabularyURL), normalizer: normalizer, specialTokenNames: names,
      continuingSubwordPrefix: prefix, maximumCharactersPerWord: maximumCharacters, file: vocabularyURL.path)
  }

  /// The tokens of a `vocab.txt`, one per line, trailing whitespace removed (as the reference reads it).
  ///
  /// - Throws: ``TokenizerError/unreadableFile(file:reason:)``.
  public static func readVocabulary(_ url: URL) throws(TokenizerError) -> [String] {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw .unreadableFile(file: url.path, reason: "cannot read the vocabulary (\(error.localizedDescription))")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw .unreadableFile(file: url.path, reason: "the vocabulary is not UTF-8")
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines.map { line in
      var scalars = Substring.UnicodeScalarView(line.unicodeScalars)
      while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
      return String(scalars)
    }
  }

  /// The decoded configuration file, or `nil` when the file is absent.
  ///
  /// - Throws: ``TokenizerError/malformedFile(file:line:reason:)`` naming the field that has the wrong type.
  static func decodeIfPresent<File: Decodable>(_ type: File.Type, _ url: URL) throws(TokenizerError) -> File? {
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw .unreadableFile(file: url.path, reason: error.localizedDescription)
    }
    do {
      return try JSONDecoder().decode(File.self, from: data)
    } catch let DecodingError.typeMismatch(_, context) {
      throw .malformedFile(file: url.path, line: nil, reason: "field '\(fieldPath(context))' has the wrong type")
    } catch {
      throw .malformedFile(file: url.path, line: nil, reason: "not a JSON object of tokenizer settings (\(error))")
    }
  }
}

/// The dotted path of the field a decoding error is about.
private func fieldPath(_ context: DecodingError.Context) -> String {
  context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
}

/// A special token's name, written as a string or as an object with `content`.
struct SpecialTokenName: Decodable {
  let content: String

  init(from decoder: any Decoder) throws {
    if let text = try? decoder.singleValueContainer().decode(String.self) {
      content = text
    } else {
      struct Object: Decodable { let content: String }
      content = try Object(from: decoder).content
    }
  }
}

/// The fields of `tokenizer_config.json` that a WordPiece tokenizer reads (the file's own names).
struct TokenizerConfigurationFile: Decodable {
  let do_lower_case: Bool?
  let strip_accents: Bool?
  let tokenize_chinese_chars: Bool?
  let cls_token: SpecialTokenName?
  let sep_token: SpecialTokenName?
  let pad_token: SpecialTokenName?
  let unk_token: SpecialTokenName?
}

/// The sections of `tokenizer.json` that a WordPiece tokenizer reads.
struct TokenizerFile: Decodable {
  /// The normalizer section, read when its type is `BertNormalizer`.
  struct Normalizer: Decodable {
    let type: String
    let clean_text: Bool?
    let handle_chinese_chars: Bool?
    let strip_accents: Bool?
    let lowercase: Bool?
  }
  /// The model section, read when its type is `WordPiece`.
  struct Model: Decodable {
    let type: String?
    let unk_token: String?
    let continuing_subword_prefix: String?
    let max_input_chars_per_word: Int?
  }
  let normalizer: Normalizer?
  let model: Model?
}
