/// A dense, row-major array of integer token ids (`Int32`, as PyTorch's `int32` and most tokenizers use),
/// typically `batch × sequenceLength`.
///
/// ``Tensor`` holds floating-point elements only; token ids are data a file or user controls, so they are
/// checked against a vocabulary with ``validate(vocabularySize:ignoring:)`` before a layer indexes with them.
///
/// ```swift
/// let tokens = TokenTensor(shape: [2, 3], tokens: [5, 1, 0, 2, 2, 7])
/// try tokens.validate(vocabularySize: 8)
/// ```
public struct TokenTensor: Sendable, Equatable {
  /// The extent of each axis, outermost first.
  public let shape: [Int]
  /// The token ids in row-major order.
  public private(set) var tokens: [Int32]

  /// Creates a tensor of token ids; `tokens.count` must equal the product of `shape`.
  public init(shape: [Int], tokens: [Int32]) {
    let count = Tensor<Float>.checkedElementCount(of: shape)
    precondition(count == tokens.count, "TokenTensor: shape \(shape) holds \(count ?? -1) ids but \(tokens.count) were given")
    self.shape = shape
    self.tokens = tokens
  }

  /// Byte-level tokens: each byte is its own id in `0..<256`, laid out as one row.
  public init(bytes: some Sequence<UInt8>) {
    let ids = bytes.map { Int32($0) }
    self.init(shape: [ids.count], tokens: ids)
  }

  /// The number of ids.
  public var count: Int { tokens.count }

  /// The id at a multi-index.
  public subscript(_ index: Int...) -> Int32 {
    precondition(index.count == shape.count, "TokenTensor: index \(index) does not match shape \(shape)")
    var offset = 0
    for (axis, i) in index.enumerated() {
      precondition(i >= 0 && i < shape[axis], "TokenTensor: index \(index) out of range for shape \(shape)")
      offset = offset * shape[axis] + i
    }
    return tokens[offset]
  }

  /// The same ids under another shape with the same count.
  public func reshaped(_ newShape: [Int]) -> TokenTensor {
    precondition(
      Tensor<Float>.checkedElementCount(of: newShape) == count, "TokenTensor.reshaped: cannot view \(shape) as \(newShape)")
    return TokenTensor(shape: newShape, tokens: tokens)
  }

  /// Checks that every id is in `0..<vocabularySize`, except ids equal to `ignored` (a padding or ignore index).
  ///
  /// - Throws: ``TokenTensorError/tokenOutOfRange(position:token:vocabularySize:)`` for the first id outside.
  /// - Complexity: O(count).
  public func validate(vocabularySize: Int, ignoring ignored: Int32? = nil) throws(TokenTensorError) {
    for (position, token) in tokens.enumerated() where token != ignored {
      if token < 0 || Int(token) >= vocabularySize {
        throw .tokenOutOfRange(position: position, token: token, vocabularySize: vocabularySize)
      }
    }
  }

  /// Calls `body` with the ids in row-major order.
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
    try tokens.withUnsafeBufferPointer(body)
  }
}

/// What is wrong with a ``TokenTensor``.
public enum TokenTensorError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The id at flat `position` is negative or not below the vocabulary size.
  case tokenOutOfRange(position: Int, token: Int32, vocabularySize: Int)

  public var description: String {
    switch self {
    case .tokenOutOfRange(let position, let token, let vocabularySize):
      return "token \(token) at position \(position) is outside the vocabulary 0..<\(vocabularySize)"
    }
  }
}
