/// Encodings padded to one length, row-major `batch × sequenceLength`, with the attention mask that marks
/// real tokens.
public struct TokenBatch: Sendable, Equatable {
  /// The number of sequences.
  public let batch: Int
  /// The padded length of every sequence.
  public let sequenceLength: Int
  /// The token ids, padding positions holding the padding id.
  public let ids: [Int32]
  /// The token types, 0 at padding positions.
  public let tokenTypes: [Int32]
  /// 1 for a real token, 0 for padding.
  public let attentionMask: [Int32]
  /// The unpadded length of each sequence.
  public let lengths: [Int]

  /// Pads `encodings` on the right to the longest of them.
  ///
  /// - Parameters:
  ///   - encodings: The sequences.
  ///   - paddingID: The id written at padding positions.
  /// - Complexity: O(batch · sequenceLength).
  public init(padding encodings: [TokenEncoding], paddingID: Int32) {
    let length = encodings.map(\.count).max() ?? 0
    batch = encodings.count
    sequenceLength = length
    lengths = encodings.map(\.count)
    var ids = [Int32](repeating: paddingID, count: batch * length)
    var tokenTypes = [Int32](repeating: 0, count: batch * length)
    var mask = [Int32](repeating: 0, count: batch * length)
    for (row, encoding) in encodings.enumerated() {
      for position in 0..<encoding.count {
        ids[row * length + position] = encoding.ids[position]
        tokenTypes[row * length + position] = encoding.tokenTypes[position]
        mask[row * length + position] = 1
      }
    }
    self.ids = ids
    self.tokenTypes = tokenTypes
    attentionMask = mask
  }
}
