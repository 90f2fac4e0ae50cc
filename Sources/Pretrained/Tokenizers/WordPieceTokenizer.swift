/// BERT's WordPiece tokenizer: ``BertNormalizer``, ``BertPreTokenizer``, then greedy longest-match WordPiece
/// per word, with `[CLS] A [SEP]` (and `[CLS] A [SEP] B [SEP]`) around the result.
///
/// Gives the ids of Hugging Face's `BertTokenizerFast`: a word is split from the left into the longest
/// vocabulary entries, continuation pieces carrying ``continuingSubwordPrefix``; a word with no complete
/// segmentation, or longer than ``maximumCharactersPerWord`` scalars, becomes one unknown token. Vocabulary
/// entries are compared by their UTF-8 bytes (not by Swift's canonical equivalence), as the reference does.
///
/// ```swift
/// let tokenizer = try WordPieceTokenizer(folder: modelFolder)
/// let batch = try tokenizer.encodeBatch(["A sentence.", "Another one."], maximumLength: 256)
/// ```
public struct WordPieceTokenizer: Sendable {
  /// The ids of the special tokens.
  public struct SpecialTokens: Sendable, Equatable {
    /// `[CLS]`, first of every encoding.
    public let classification: Int32
    /// `[SEP]`, after each sequence.
    public let separator: Int32
    /// `[PAD]`, at padding positions.
    public let padding: Int32
    /// `[UNK]`, for words with no segmentation.
    public let unknown: Int32
  }

  /// The names of the special tokens, as a tokenizer configuration spells them.
  public struct SpecialTokenNames: Sendable, Equatable {
    /// The classification token, `[CLS]` by default.
    public var classification = "[CLS]"
    /// The separator token, `[SEP]` by default.
    public var separator = "[SEP]"
    /// The padding token, `[PAD]` by default.
    public var padding = "[PAD]"
    /// The unknown token, `[UNK]` by default.
    public var unknown = "[UNK]"

    /// The default names.
    public init() {}
  }

  /// The normalizer run before splitting into words.
  public let normalizer: BertNormalizer
  /// The prefix of a piece that continues a word (`##`).
  public let continuingSubwordPrefix: String
  /// The longest word, in Unicode scalars, that is split rather than replaced by the unknown token.
  public let maximumCharactersPerWord: Int
  /// The special tokens' ids.
  public let specialTokens: SpecialTokens
  /// The token of each id.
  public let tokens: [String]
  private let idsByBytes: [[UInt8]: Int32]

  /// The number of ids.
  public var vocabularySize: Int { tokens.count }

  /// Creates a tokenizer from its vocabulary, one token per id.
  ///
  /// A token that appears twice maps to its last id, as when the reference reads `vocab.txt`.
  ///
  /// - Parameters:
  ///   - vocabulary: The tokens in id order.
  ///   - normalizer: The normalizer settings.
  ///   - specialTokenNames: The special tokens' names.
  ///   - continuingSubwordPrefix: The continuation prefix.
  ///   - maximumCharactersPerWord: The longest word that is split.
  ///   - file: Names the vocabulary in errors.
  /// - Throws: ``TokenizerError/missingSpecialToken(file:token:)`` when a special token is not in the
  ///   vocabulary; ``TokenizerError/malformedFile(file:line:reason:)`` for more than 2³¹ tokens.
  public init(
    vocabulary: [String], normalizer: BertNormalizer = BertNormalizer(),
    specialTokenNames: SpecialTokenNames = SpecialTokenNames(), continuingSubwordPrefix: String = "##",
    maximumCharactersPerWord: Int = 100, file: String = "vocab.txt"
  ) throws(TokenizerError) {
    guard vocabulary.count <= Int(Int32.max) else {
      throw .malformedFile(file: file, line: nil, reason: "\(vocabulary.count) tokens do not fit 32-bit ids")
    }
    var idsByBytes: [[UInt8]: Int32] = [:]
    idsByBytes.reserveCapacity(vocabulary.count)
    for (id, token) in vocabulary.enumerated() { idsByBytes[Array(token.utf8)] = Int32(id) }
    func id(_ name: String) throws(TokenizerError) -> Int32 {
      guard let id = idsByBytes[Array(name.utf8)] else { throw .missingSpecialToken(file: file, token: name) }
      return id
    }
    specialTokens = SpecialTokens(
      classification: try id(specialTokenNames.classification), separator: try id(specialTokenNames.separator),
      padding: try id(specialTokenNames.padding), unknown: try id(specialTokenNames.unknown))
    self.idsByBytes = idsByBytes
    self.tokens = vocabulary
    self.normalizer = normalizer
    self.continuingSubwordPrefix = continuingSubwordPrefix
    self.maximumCharactersPerWord = maximumCharactersPerWord
  }

  /// The id of a token, if it is in the vocabulary.
  public func id(of token: String) -> Int32? { idsByBytes[Array(token.utf8)] }

  /// The WordPiece ids of `text`, without special tokens.
  ///
  /// - Complexity: O(n·w) for n scalars and words of at most w scalars (w ≤ ``maximumCharactersPerWord``).
  public func tokenIDs(_ text: String) -> [Int32] {
    var ids: [Int32] = []
    for word in BertPreTokenizer.words(normalizer.normalize(text)) { appendPieces(of: word, to: &ids) }
    return ids
  }

  /// Greedy longest match from the left; the whole word becomes the unknown token when a position has no match.
  private func appendPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
    guard word.count <= maximumCharactersPerWord else {
      ids.append(specialTokens.unknown)
      return
    }
    var utf8: [UInt8] = []
    var offsets = [0]
    for scalar in word {
      utf8.append(contentsOf: UTF8.encode(scalar)!)
      offsets.append(utf8.count)
    }
    let prefix = Array(continuingSubwordPrefix.utf8)
    let firstPiece = ids.count
    var start = 0
    var key: [UInt8] = []
    while start < word.count {
      var end = word.count
      var match: Int32?
      while end > start {
        key.removeAll(keepingCapacity: true)
        if start > 0 { key.append(contentsOf: prefix) }
        key.append(contentsOf: utf8[offsets[start]..<offsets[end]])
        if let id = idsByBytes[key] {
          match = id
          break
        }
        end -= 1
      }
      guard let match else {
        ids.removeSubrange(firstPiece...)
        ids.append(specialTokens.unknown)
        return
      }
      ids.append(match)
      start = end
    }
  }

  /// Encodes one sequence, or a pair, with its special tokens.
  ///
  /// Truncation (when `maximumLength` is given) keeps the first tokens; for a pair it removes tokens from the
  /// longer sequence until both are as long, then from both, the shorter (the first on ties) keeping half the
  /// budget rounded down: Hugging Face `tokenizers`' `longest_first`.
  ///
  /// - Parameters:
  ///   - text: The first sequence.
  ///   - pair: The second sequence, if any (token type 1).
  ///   - maximumLength: The longest encoding, special tokens included, or `nil` for no limit.
  /// - Throws: ``TokenizerError/invalidOption(option:reason:)`` when `maximumLength` cannot hold the special
  ///   tokens.
  public func encode(_ text: String, pair: String? = nil, maximumLength: Int? = nil) throws(TokenizerError) -> TokenEncoding {
    var first = tokenIDs(text)
    var second = pair.map(tokenIDs)
    if let maximumLength {
      let specials = second == nil ? 2 : 3
      guard maximumLength >= specials else {
        throw .invalidOption(
          option: "maximum length",
          reason: "\(maximumLength) cannot hold the \(specials) special tokens of \(second == nil ? "a sequence" : "a pair")")
      }
      let budget = maximumLength - specials
      if var pairIDs = second {
        let (keepFirst, keepSecond) = Self.longestFirst(first.count, pairIDs.count, budget: budget)
        first.removeSubrange(keepFirst...)
        pairIDs.removeSubrange(keepSecond...)
        second = pairIDs
      } else if first.count > budget {
        first.removeSubrange(budget...)
      }
    }
    var ids = [specialTokens.classification] + first + [specialTokens.separator]
    var tokenTypes = [Int32](repeating: 0, count: ids.count)
    if let second {
      ids += second + [specialTokens.separator]
      tokenTypes += [Int32](repeating: 1, count: second.count + 1)
    }
    return TokenEncoding(ids: ids, tokenTypes: tokenTypes)
  }

  /// The lengths `longest_first` truncation keeps of two sequences so that they sum to at most `budget`:
  /// the longer loses tokens until it is as short as the other, then both lose alike, the shorter (the first
  /// on ties) ending with `⌊budget/2⌋` (the rule of Hugging Face `tokenizers`).
  static func longestFirst(_ first: Int, _ second: Int, budget: Int) -> (Int, Int) {
    guard first + second > budget else { return (first, second) }
    let firstIsShorter = first <= second
    let (shorter, longer) = firstIsShorter ? (first, second) : (second, first)
    let keptShorter = min(shorter, budget / 2)
    let keptLonger = min(longer, budget - keptShorter)
    return firstIsShorter ? (keptShorter, keptLonger) : (keptLonger, keptShorter)
  }

  /// Encodes sentences and pads them to the longest, as a batch for the encoder.
  ///
  /// - Throws: What ``encode(_:pair:maximumLength:)`` throws.
  public func encodeBatch(_ texts: [String], maximumLength: Int? = nil) throws(TokenizerError) -> TokenBatch {
    var encodings: [TokenEncoding] = []
    encodings.reserveCapacity(texts.count)
    for text in texts { encodings.append(try encode(text, maximumLength: maximumLength)) }
    return TokenBatch(padding: encodings, paddingID: specialTokens.padding)
  }
}
