import Foundation
import TensorCore
import TensorFiles

/// A stream of token ids for a language model, split into training and held-out tokens.
///
/// Built from a ``MarkovChain`` (which knows the best achievable loss) or from a UTF-8 text file read as
/// bytes (vocabulary 256, the last `heldOutFraction` of the file held out).
public struct TokenDataset: Sendable {
  /// Where the tokens came from, for messages (a path, or a description of the chain).
  public let source: String
  /// The number of token ids.
  public let vocabularySize: Int
  /// The training tokens.
  public let training: [Int32]
  /// The held-out tokens.
  public let heldOut: [Int32]
  /// The chain that generated the tokens, if any.
  public let chain: MarkovChain?

  /// Wraps token streams.
  public init(source: String, vocabularySize: Int, training: [Int32], heldOut: [Int32], chain: MarkovChain? = nil) {
    self.source = source
    self.vocabularySize = vocabularySize
    self.training = training
    self.heldOut = heldOut
    self.chain = chain
  }

  /// The best expected next-token loss on windows of `sequenceLength` targets, when known (data from a
  /// chain: ``MarkovChain/bestPossibleLoss(sequenceLength:)``).
  public func bestPossibleLoss(sequenceLength: Int) -> Double? {
    chain?.bestPossibleLoss(sequenceLength: sequenceLength)
  }

  /// Independent training and held-out streams sampled from `chain` (each starting at a stationary point).
  public static func markovChain(
    _ chain: MarkovChain, trainingTokens: Int, heldOutTokens: Int, using generator: inout SeededGenerator
  ) -> TokenDataset {
    TokenDataset(
      source: "Markov chain (\(chain.symbols) symbols, order \(chain.order))", vocabularySize: chain.symbols,
      training: chain.sample(length: trainingTokens, using: &generator),
      heldOut: chain.sample(length: heldOutTokens, using: &generator), chain: chain)
  }

  /// A UTF-8 text as byte-level tokens (vocabulary 256); the last `heldOutFraction` of the bytes are held out.
  ///
  /// - Parameters:
  ///   - bytes: The text.
  ///   - source: Its name in errors (the path).
  ///   - heldOutFraction: In `(0, 1)`.
  /// - Throws: ``DataError/empty(file:)``, ``DataError/notUTF8(file:byteOffset:)`` or
  ///   ``DataError/invalidSetting(name:value:)`` for the held-out fraction.
  public static func byteText(_ bytes: [UInt8], source: String, heldOutFraction: Double = 0.1) throws(DataError) -> TokenDataset {
    guard heldOutFraction > 0, heldOutFraction < 1 else { throw .invalidSetting(name: "heldOutFraction", value: heldOutFraction) }
    guard !bytes.isEmpty else { throw .empty(file: source) }
    if let offset = firstInvalidUTF8Offset(bytes) { throw .notUTF8(file: source, byteOffset: offset) }
    let split = bytes.count - Int((Double(bytes.count) * heldOutFraction).rounded())
    let tokens = bytes.map { Int32($0) }
    return TokenDataset(
      source: source, vocabularySize: 256, training: Array(tokens[..<split]), heldOut: Array(tokens[split...]))
  }

  /// ``byteText(_:source:heldOutFraction:)`` on the contents of a file.
  ///
  /// Only a regular file is read (a FIFO or device is refused without blocking), and only one whose tokens fit
  /// in memory: each byte becomes a 4-byte token, so the file may hold at most a sixteenth of physical memory.
  ///
  /// - Throws: ``DataError/unreadable(file:reason:)``, or what ``byteText(_:source:heldOutFraction:)`` throws.
  public static func byteText(contentsOf path: String, heldOutFraction: Double = 0.1) throws(DataError) -> TokenDataset {
    let bytes: [UInt8]
    do {
      bytes = try ReadOnlyFile.contents(
        of: URL(fileURLWithPath: path), maximumBytes: (PhysicalMemory.bytes ?? Int.max) / 16)
    } catch let error as TensorFileError {
      throw .unreadable(file: path, reason: error.reason)
    } catch {
      throw .unreadable(file: path, reason: "\(error)")
    }
    return try byteText(bytes, source: path, heldOutFraction: heldOutFraction)
  }

  /// The offset of the first byte of the first invalid UTF-8 sequence, or `nil` for valid UTF-8.
  static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var iterator = CountingIterator(base: bytes.makeIterator())
    var decoder = UTF8()
    while true {
      let start = iterator.consumed
      switch decoder.decode(&iterator) {
      case .scalarValue: continue
      case .emptyInput: return nil
      case .error: return start
      }
    }
  }

  private struct CountingIterator: IteratorProtocol {
    var base: IndexingIterator<[UInt8]>
    var consumed = 0
    mutating func next() -> UInt8? {
      guard let byte = base.next() else { return nil }
      consumed += 1
      return byte
    }
  }
}
