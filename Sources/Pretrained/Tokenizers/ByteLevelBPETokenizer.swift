import Foundation

/// GPT-2's byte-level byte-pair-encoding tokenizer, read from a vocabulary (`vocab.json`) and a ranked merge
/// list (`merges.txt`): the ids Hugging Face's `GPT2Tokenizer` and `GPT2TokenizerFast` give.
///
/// Encoding splits out the special tokens (`<|endoftext|>`) written literally in the text, pre-tokenizes the
/// rest (``GPT2PreTokenizer``), spells each piece's UTF-8 bytes in ``ByteToUnicode``'s characters and merges
/// adjacent symbols, always the pair of lowest rank first, until no ranked pair remains. Decoding joins the
/// tokens' bytes; bytes that do not form UTF-8 (a multi-byte character cut between tokens) become U+FFFD in
/// ``decode(_:)`` and stay as they are in ``decodeBytes(_:)``.
///
/// ```swift
/// let tokenizer = try ByteLevelBPETokenizer(folder: modelFolder)
/// let ids = tokenizer.encode("Hello world")
/// let text = try tokenizer.decode(ids)
/// ```
///
/// Pieces already merged are remembered (up to ``cacheCapacity`` of them), so repeated words cost one lookup.
public final class ByteLevelBPETokenizer: @unchecked Sendable {
  /// GPT-2's end-of-text token.
  public static let endOfText = "<|endoftext|>"
  /// The most merged pieces the cache keeps; it empties when full.
  public static let cacheCapacity = 10_000

  /// Every token's id.
  public let vocabulary: [String: Int32]
  /// The special tokens, with their ids; encoding keeps them whole where the text spells them.
  public let specialTokens: [String: Int32]
  /// The id of `<|endoftext|>`.
  public let endOfTextID: Int32
  /// Each token by id (`nil` for ids the vocabulary skips).
  private let tokens: [String?]
  /// The id of each byte's one-character token.
  private let byteIDs: [Int32]
  /// For each ranked pair of ids, its rank and the id of the merged token.
  private let merges: [SymbolPair: (rank: Int, merged: Int32)]
  /// The special tokens longest first, so that a longer one wins where two start at one place.
  private let specialTokensLongestFirst: [(scalars: [Unicode.Scalar], id: Int32)]
  private let lock = NSLock()
  /// Merged pieces by their UTF-8 bytes (not by `String`, whose equality would join canonically equivalent
  /// pieces of different bytes).
  private var cache: [[UInt8]: [Int32]] = [:]

  private struct SymbolPair: Hashable {
    let first: Int32
    let second: Int32
  }

  /// The number of ids (one more than the largest).
  public var vocabularySize: Int { tokens.count }

  /// Builds a tokenizer from a vocabulary and merges in rank order.
  ///
  /// - Parameters:
  ///   - vocabulary: Every token (in ``ByteToUnicode`` characters) and its id.
  ///   - merges: The ranked pairs, lowest rank first, each with the 1-based line it came from.
  ///   - specialTokens: Tokens that encoding keeps whole; `<|endoftext|>` must be among them.
  ///   - vocabularyFile: Names the vocabulary's file in errors.
  ///   - mergesFile: Names the merges' file in errors.
  /// - Throws: ``TokenizerError/malformedFile(file:line:reason:)`` for a negative or repeated id, a byte
  ///   without its one-character token, or a merge whose symbols or result are not in the vocabulary;
  ///   ``TokenizerError/missingSpecialToken(file:token:)`` for a special token not in the vocabulary.
  public init(
    vocabulary: [String: Int32], merges: [(first: String, second: String, line: Int)],
    specialTokens: [String] = [endOfText], vocabularyFile: String, mergesFile: String
  ) throws(TokenizerError) {
    var tokens: [String?] = []
    for (token, id) in vocabulary {
      guard id >= 0 else { throw .malformedFile(file: vocabularyFile, line: nil, reason: "token '\(token)' has negative id \(id)") }
      if Int(id) >= tokens.count { tokens.append(contentsOf: repeatElement(nil, count: Int(id) + 1 - tokens.count)) }
      if let other = tokens[Int(id)] {
        throw .malformedFile(
          file: vocabularyFile, line: nil, reason: "tokens '\(min(other, token))' and '\(max(other, token))' share id \(id)")
      }
      tokens[Int(id)] = token
    }
    var byteIDs: [Int32] = []
    for (byte, scalar) in ByteToUnicode.scalars.enumerated() {
      guard let id = vocabulary[String(scalar)] else {
        throw .malformedFile(
          file: vocabularyFile, line: nil, reason: "byte \(byte) has no token '\(scalar)' (not a byte-level vocabulary)")
      }
      byteIDs.append(id)
    }
    var ranked: [SymbolPair: (rank: Int, merged: Int32)] = [:]
    for (rank, merge) in merges.enumerated() {
      guard let first = vocabulary[merge.first], let second = vocabulary[merge.second],
        let merged = vocabulary[merge.first + merge.second]
      else {
        throw .malformedFile(
          file: mergesFile, line: merge.line,
          reason: "merge '\(merge.first) \(merge.second)' uses or makes a token not in \(vocabularyFile)")
      }
      let pair = SymbolPair(first: first, second: second)
      if ranked[pair] == nil { ranked[pair] = (rank, merged) }
    }
    var special: [String: Int32] = [:]
    for token in specialTokens {
      guard let id = vocabulary[token] else { throw .missingSpecialToken(file: vocabularyFile, token: token) }
      special[token] = id
    }
    guard let endOfTextID = special[Self.endOfText] else {
      throw .missingSpecialToken(file: vocabularyFile, token: Self.endOfText)
    }
    self.vocabulary = vocabulary
    self.tokens = tokens
    self.byteIDs = byteIDs
    self.merges = ranked
    self.specialTokens = special
    self.endOfTextID = endOfTextID
    specialTokensLongestFirst = special.map { (Array($0.key.unicodeScalars), $0.value) }
      .filter { !$0.0.isEmpty }
      .sorted { $0.0.count > $1.0.count || ($0.0.count == $1.0.count && $0.1 < $1.1) }
  }

  /// Encodes text into token ids.
  ///
  /// - Complexity: O(n) pieces, each merged in O(m²) for a piece of m bytes the first time it is seen.
  public func encode(_ text: String) -> [Int32] {
    let scalars = Array(text.unicodeScalars)
    var ids: [Int32] = []
    var start = 0
    var position = 0
    while position < scalars.count {
      if let special = specialToken(in: scalars, at: position) {
        encodeOrdinary(scalars[start..<position], into: &ids)
        ids.append(special.id)
        position += special.length
        start = position
      } else {
        position += 1
      }
    }
    encodeOrdinary(scalars[start..<scalars.count], into: &ids)
    return ids
  }

  /// The bytes the tokens spell, joined.
  ///
  /// - Throws: ``TokenizerError/idOutOfRange(id:vocabularySize:)`` for an id the vocabulary lacks.
  public func decodeBytes(_ ids: [Int32]) throws(TokenizerError) -> [UInt8] {
    var bytes: [UInt8] = []
    for id in ids {
      guard id >= 0, Int(id) < tokens.count, let token = tokens[Int(id)] else {
        throw .idOutOfRange(id: Int(id), vocabularySize: tokens.count)
      }
      if let spelled = ByteToUnicode.decode(token) {
        bytes.append(contentsOf: spelled)
      } else {
        // A special or added token written in ordinary characters stands for its own UTF-8.
        bytes.append(contentsOf: token.utf8)
      }
    }
    return bytes
  }

  /// The text the tokens spell, each ill-formed UTF-8 sequence replaced by U+FFFD (as Python's
  /// `errors="replace"`).
  ///
  /// - Throws: ``TokenizerError/idOutOfRange(id:vocabularySize:)`` for an id the vocabulary lacks.
  public func decode(_ ids: [Int32]) throws(TokenizerError) -> String {
    String(decoding: try decodeBytes(ids), as: UTF8.self)
  }

  /// The token of an id, in ``ByteToUnicode`` characters, or `nil` outside the vocabulary.
  public func token(for id: Int32) -> String? {
    id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
  }

  private func specialToken(in scalars: [Unicode.Scalar], at position: Int) -> (id: Int32, length: Int)? {
    for special in specialTokensLongestFirst where position + special.scalars.count <= scalars.count {
      if scalars[position..<position + special.scalars.count].elementsEqual(special.scalars) {
        return (special.id, special.scalars.count)
      }
    }
    return nil
  }

  private func encodeOrdinary(_ scalars: ArraySlice<Unicode.Scalar>, into ids: inout [Int32]) {
    guard !scalars.isEmpty else { return }
    let text = Array(scalars)
    for range in GPT2PreTokenizer.pieces(of: text) {
      var piece: [UInt8] = []
      for scalar in text[range] { UTF8.encode(scalar) { piece.append($0) } }
      if let cached = lock.withLock({ cache[piece] }) {
        ids.append(contentsOf: cached)
        continue
      }
      let merged = merge(piece.map { byteIDs[Int($0)] })
      lock.withLock {
        if cache.count >= Self.cacheCapacity { cache.removeAll(keepingCapacity: true) }
        cache[piece] = merged
      }
      ids.append(contentsOf: merged)
    }
  }

  /// Merges the lowest-ranked adjacent pair, every occurrence from the left, until no pair is ranked.
  private func merge(_ initial: [Int32]) -> [Int32] {
    var symbols = initial
    while symbols.count > 1 {
      var best: (rank: Int, pair: SymbolPair, merged: Int32)?
      for index in 0..<symbols.count - 1 {
        let pair = SymbolPair(first: symbols[index], second: symbols[index + 1])
        if let entry = merges[pair], entry.rank < (best?.rank ?? Int.max) { best = (entry.rank, pair, entry.merged) }
      }
      guard let best else { break }
      var next: [Int32] = []
      next.reserveCapacity(symbols.count)
      var index = 0
      while index < symbols.count {
        if index + 1 < symbols.count, symbols[index] == best.pair.first, symbols[index + 1] == best.pair.second {
          next.append(best.merged)
          index += 2
        } else {
          next.append(symbols[index])
          index += 1
        }
      }
      symbols = next
    }
    return symbols
  }
}
