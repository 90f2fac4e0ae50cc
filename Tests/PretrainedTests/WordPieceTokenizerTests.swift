import Foundation
import Pretrained
import Testing

/// Ids of Hugging Face `tokenizers` (`BertTokenizerFast`'s engine) for the committed corpus, made by
/// Fixtures/minilm/make_token_ids.py with all-MiniLM-L6-v2's tokenizer.
private struct ReferenceIDs: Decodable {
  struct Pair: Decodable {
    let first: Int
    let second: Int
    let ids: [Int32]
    let type_ids: [Int32]
  }
  let lines: Int
  let uncased: [[Int32]]
  let cased: [[Int32]]
  let truncated16: [[Int32]]
  let pairs: [Pair]
  let pairs_truncated24: [Pair]
}

private func fixtures() throws -> URL {
  try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
}

private func corpus() throws -> [String] {
  let text = try String(contentsOf: try fixtures().appendingPathComponent("tokenizers/corpus.txt"), encoding: .utf8)
  var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  if lines.last == "" { lines.removeLast() }
  return lines
}

private func reference() throws -> ReferenceIDs {
  try JSONDecoder().decode(
    ReferenceIDs.self, from: Data(contentsOf: try fixtures().appendingPathComponent("minilm/token_ids.json")))
}

@Suite struct WordPieceTokenizerTests {
  @Test func miniLMIDsEqualHuggingFaceOnTheCorpus() throws {
    let tokenizer = try WordPieceTokenizer(folder: try fixtures().appendingPathComponent("minilm"))
    #expect(tokenizer.vocabularySize == 30522)
    #expect(tokenizer.normalizer == BertNormalizer(lowercase: true))
    let (lines, expected) = (try corpus(), try reference())
    #expect(lines.count == expected.lines)
    for (index, line) in lines.enumerated() {
      #expect(try tokenizer.encode(line).ids == expected.uncased[index], "line \(index + 1): \(line)")
      #expect(try tokenizer.encode(line, maximumLength: 16).ids == expected.truncated16[index], "line \(index + 1)")
    }
  }

  @Test func casedNormalizerKeepsCaseAndAccents() throws {
    let folder = try fixtures().appendingPathComponent("minilm")
    let tokenizer = try WordPieceTokenizer(
      vocabulary: try WordPieceTokenizer.readVocabulary(folder.appendingPathComponent("vocab.txt")),
      normalizer: BertNormalizer(lowercase: false))
    let (lines, expected) = (try corpus(), try reference())
    for (index, line) in lines.enumerated() {
      #expect(try tokenizer.encode(line).ids == expected.cased[index], "line \(index + 1): \(line)")
    }
  }

  @Test func pairsCarryTokenTypesAndTruncateLongestFirst() throws {
    let tokenizer = try WordPieceTokenizer(folder: try fixtures().appendingPathComponent("minilm"))
    let (lines, expected) = (try corpus(), try reference())
    for (cases, limit) in [(expected.pairs, nil), (expected.pairs_truncated24, 24)] as [([ReferenceIDs.Pair], Int?)] {
      for pair in cases {
        let encoding = try tokenizer.encode(lines[pair.first], pair: lines[pair.second], maximumLength: limit)
        #expect(encoding.ids == pair.ids, "lines \(pair.first + 1) and \(pair.second + 1), limit \(String(describing: limit))")
        #expect(encoding.tokenTypes == pair.type_ids)
      }
    }
  }

  @Test func batchesPadOnTheRightWithAMask() throws {
    let tokenizer = try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##b", "c"])
    let batch = try tokenizer.encodeBatch(["ab c", "c"])
    #expect(batch.sequenceLength == 5 && batch.lengths == [5, 3])
    #expect(batch.ids == [2, 4, 5, 6, 3, 2, 6, 3, 0, 0])
    #expect(batch.attentionMask == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    #expect(batch.tokenTypes == [Int32](repeating: 0, count: 10))
    // "abd" has no complete segmentation: the whole word is unknown, not "a" + unknown.
    #expect(tokenizer.tokenIDs("abd ab") == [1, 4, 5])
  }

  @Test func errorsNameTheFileTokenAndOption() throws {
    #expect(throws: TokenizerError.missingSpecialToken(file: "vocab.txt", token: "[PAD]")) {
      try WordPieceTokenizer(vocabulary: ["[UNK]", "[CLS]", "[SEP]"])
    }
    let tokenizer = try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"])
    #expect(throws: TokenizerError.self) { try tokenizer.encode("a", pair: "b", maximumLength: 2) }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(throws: TokenizerError.self) { try WordPieceTokenizer(folder: folder) }
    try "[PAD]\n[UNK]\n[CLS]\n[SEP]\n".write(to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
    try #"{"do_lower_case": "yes"}"#.write(
      to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
    let config = folder.appendingPathComponent("tokenizer_config.json").path
    #expect(throws: TokenizerError.malformedFile(file: config, line: nil, reason: "field 'do_lower_case' has the wrong type")) {
      try WordPieceTokenizer(folder: folder)
    }
  }
}
