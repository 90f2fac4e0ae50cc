import Foundation
import Pretrained
import Testing
import TestSupport

/// The tiny GPT-2 fixture folder (Fixtures/tiny-gpt2, made by its generate.py).
func tinyGPT2Folder() throws -> URL {
  try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/tiny-gpt2")
}

@Suite struct ByteLevelBPETokenizerTests {
  private struct Expected: Decodable {
    let text: String
    let ids: [Int32]
  }

  private func expected() throws -> [Expected] {
    let data = try Data(contentsOf: try tinyGPT2Folder().appendingPathComponent("tokenizer_expected.json"))
    return try JSONDecoder().decode([Expected].self, from: data)
  }

  @Test func byteMapIsGPT2s() {
    #expect(ByteToUnicode.scalars[Int(UInt8(ascii: " "))] == "\u{120}")
    #expect(ByteToUnicode.scalars[Int(UInt8(ascii: "A"))] == "A")
    #expect(ByteToUnicode.scalars[0] == "\u{100}")
    #expect(ByteToUnicode.scalars[0xAD] == "\u{143}")
    #expect(ByteToUnicode.scalars[0xFF] == "\u{FF}")
    #expect(Set(ByteToUnicode.scalars).count == 256)
    #expect(ByteToUnicode.decode(ByteToUnicode.encode(0...255)) == Array(0...255))
  }

  @Test func preTokenizerFollowsThePattern() {
    #expect(GPT2PreTokenizer.split("Hello world, I'm   here!!  ") == ["Hello", " world", ",", " I", "'m", "  ", " here", "!!", "  "])
    #expect(GPT2PreTokenizer.split("abc123 45\tx\n\ny") == ["abc", "123", " 45", "\t", "x", "\n", "\n", "y"])
    #expect(GPT2PreTokenizer.split("they'd've 'll'") == ["they", "'d", "'ve", " '", "ll", "'"])
    #expect(GPT2PreTokenizer.split("日本語 ½") == ["日本語", " ½"])
  }

  @Test func idsEqualHuggingFacesOnTheCorpus() throws {
    let tokenizer = try ByteLevelBPETokenizer(folder: try tinyGPT2Folder())
    let cases = try expected()
    #expect(cases.count >= 30)
    for entry in cases {
      #expect(tokenizer.encode(entry.text) == entry.ids, "\(entry.text.debugDescription)")
    }
    // A second pass answers from the cache with the same ids.
    for entry in cases { #expect(tokenizer.encode(entry.text) == entry.ids) }
  }

  @Test func tokenizerJSONGivesTheSameIds() throws {
    let folder = try tinyGPT2Folder().appendingPathComponent("bpe-tokenizer")
    let tokenizer = try ByteLevelBPETokenizer(folder: folder)
    #expect(tokenizer.vocabularySize == 1024 && tokenizer.endOfTextID == 0)
    for entry in try expected() {
      #expect(tokenizer.encode(entry.text) == entry.ids, "\(entry.text.debugDescription)")
    }
    let scratch = try TemporaryFolder()
    defer { scratch.cleanUp() }
    let file = scratch.file("tokenizer.json")
    try Data(#"{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"#.utf8).write(to: file)
    #expect(throws: TokenizerError.malformedFile(
      file: file.path, line: nil, reason: "model.type is 'WordPiece', expected BPE with model.vocab and model.merges")) {
      try ByteLevelBPETokenizer(tokenizerFile: file)
    }
  }

  @Test func decodeInvertsEncodeOnTheCorpus() throws {
    let tokenizer = try ByteLevelBPETokenizer(folder: try tinyGPT2Folder())
    let corpus = try String(
      contentsOf: try tinyGPT2Folder().deletingLastPathComponent().appendingPathComponent("tokenizers/corpus.txt"),
      encoding: .utf8)
    for line in corpus.split(separator: "\n", omittingEmptySubsequences: false) {
      #expect(try tokenizer.decode(tokenizer.encode(String(line))) == String(line))
    }
    #expect(try tokenizer.decode(tokenizer.encode(corpus)) == corpus)
  }

  @Test func endOfTextIsOneToken() throws {
    let tokenizer = try ByteLevelBPETokenizer(folder: try tinyGPT2Folder())
    let ids = tokenizer.encode("a<|endoftext|>b")
    #expect(ids.filter { $0 == tokenizer.endOfTextID }.count == 1)
    #expect(try tokenizer.decode(ids) == "a<|endoftext|>b")
  }

  @Test func partialUTF8DecodesToReplacement() throws {
    let tokenizer = try ByteLevelBPETokenizer(folder: try tinyGPT2Folder())
    // "é" is two bytes; each alone is one token of the byte alphabet.
    let first = try #require(tokenizer.vocabulary[String(ByteToUnicode.scalars[0xC3])])
    let second = try #require(tokenizer.vocabulary[String(ByteToUnicode.scalars[0xA9])])
    #expect(try tokenizer.decodeBytes([first]) == [0xC3])
    #expect(try tokenizer.decode([first]) == "\u{FFFD}")
    #expect(try tokenizer.decode([first, second]) == "é")
    #expect(throws: TokenizerError.idOutOfRange(id: 1 << 20, vocabularySize: tokenizer.vocabularySize)) {
      try tokenizer.decode([1 << 20])
    }
  }

  @Test func malformedMergesNameTheFileAndLine() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let source = try tinyGPT2Folder()
    try FileManager.default.copyItem(at: source.appendingPathComponent("vocab.json"), to: folder.file("vocab.json"))
    let merges = try String(contentsOf: source.appendingPathComponent("merges.txt"), encoding: .utf8)
    var lines = merges.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[3] = "Ġt h e"
    try lines.joined(separator: "\n").write(to: folder.file("merges.txt"), atomically: true, encoding: .utf8)
    #expect(throws: TokenizerError.malformedFile(
      file: folder.file("merges.txt").path, line: 4,
      reason: "expected two symbols separated by one space, got 3 fields")) {
      try ByteLevelBPETokenizer(folder: folder.url)
    }
    lines[3] = "zzzq zzzr"
    try lines.joined(separator: "\n").write(to: folder.file("merges.txt"), atomically: true, encoding: .utf8)
    #expect(throws: TokenizerError.malformedFile(
      file: folder.file("merges.txt").path, line: 4,
      reason: "merge 'zzzq zzzr' uses or makes a token not in \(folder.file("vocab.json").path)")) {
      try ByteLevelBPETokenizer(folder: folder.url)
    }
  }

  @Test func missingEndOfTextAndFilesAreNamed() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    #expect(throws: TokenizerError.self) { try ByteLevelBPETokenizer(folder: folder.url) }
    var vocabulary: [String: Int32] = [:]
    for (index, scalar) in ByteToUnicode.scalars.enumerated() { vocabulary[String(scalar)] = Int32(index) }
    #expect(throws: TokenizerError.missingSpecialToken(file: "vocab.json", token: "<|endoftext|>")) {
      try ByteLevelBPETokenizer(vocabulary: vocabulary, merges: [], vocabularyFile: "vocab.json", mergesFile: "merges.txt")
    }
    vocabulary["<|endoftext|>"] = 256
    let bytesOnly = try ByteLevelBPETokenizer(
      vocabulary: vocabulary, merges: [], vocabularyFile: "vocab.json", mergesFile: "merges.txt")
    #expect(bytesOnly.encode("hé") == [104, 195, 169])
  }
}
