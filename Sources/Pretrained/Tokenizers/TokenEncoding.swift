/// One tokenized sequence (or pair of sequences) with its special tokens: what a BERT-family encoder reads.
public struct TokenEncoding: Sendable, Equatable {
  /// The token ids, special tokens included.
  public var ids: [Int32]
  /// The segment of each token: 0 for the first sequence and its special tokens, 1 for the second.
  public var tokenTypes: [Int32]

  /// Creates an encoding; `tokenTypes` must be as long as `ids`.
  public init(ids: [Int32], tokenTypes: [Int32]) {
    precondition(ids.count == tokenTypes.count, "TokenEncoding: \(ids.count) ids but \(tokenTypes.count) token types")
    self.ids = ids
    self.tokenTypes = tokenTypes
  }

  /// The number of tokens.
  public var count: Int { ids.count }
}
