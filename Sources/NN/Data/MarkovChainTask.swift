import TensorCore

/// The built-in language-modelling task: token streams sampled from a random ``MarkovChain`` whose entropy
/// rate, and so the best achievable loss, is known exactly.
///
/// The chain, the training stream and the held-out stream all come from one `SeededGenerator` seeded by
/// ``seed``, so a task is fully described by its settings. JSON keys: `symbols`, `order`, `sharpness`,
/// `training_tokens`, `held_out_tokens`, `seed`; each may be left out for its default.
public struct MarkovChainTask: Codable, Sendable, Equatable {
  /// The number of symbols (the model's vocabulary).
  public var symbols: Int
  /// The number of past symbols the next one depends on.
  public var order: Int
  /// How peaked the transition rows are (``MarkovChain/init(symbols:order:sharpness:using:)``).
  public var sharpness: Double
  /// The length of the training stream.
  public var trainingTokens: Int
  /// The length of the held-out stream.
  public var heldOutTokens: Int
  /// The seed of the chain and both streams.
  public var seed: UInt64

  /// Creates a task (by default 16 symbols, order 2: 256 contexts a small model can learn in a few hundred
  /// steps).
  public init(
    symbols: Int = 16, order: Int = 2, sharpness: Double = 2, trainingTokens: Int = 65536, heldOutTokens: Int = 8192,
    seed: UInt64 = 0
  ) {
    self.symbols = symbols
    self.order = order
    self.sharpness = sharpness
    self.trainingTokens = trainingTokens
    self.heldOutTokens = heldOutTokens
    self.seed = seed
  }

  private enum CodingKeys: String, CodingKey {
    case symbols, order, sharpness, trainingTokens = "training_tokens", heldOutTokens = "held_out_tokens", seed
  }

  /// Decodes a task; keys left out keep the defaults of ``init(symbols:order:sharpness:trainingTokens:heldOutTokens:seed:)``.
  ///
  /// - Throws: `DecodingError` for a value of the wrong type.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let defaults = MarkovChainTask()
    symbols = try c.decodeIfPresent(Int.self, forKey: .symbols) ?? defaults.symbols
    order = try c.decodeIfPresent(Int.self, forKey: .order) ?? defaults.order
    sharpness = try c.decodeIfPresent(Double.self, forKey: .sharpness) ?? defaults.sharpness
    trainingTokens = try c.decodeIfPresent(Int.self, forKey: .trainingTokens) ?? defaults.trainingTokens
    heldOutTokens = try c.decodeIfPresent(Int.self, forKey: .heldOutTokens) ?? defaults.heldOutTokens
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
  }

  /// The chain and its two streams.
  ///
  /// - Throws: ``DataError/invalidSetting(name:value:)`` naming the setting: stream lengths outside
  ///   `1...2²⁸`, or a chain the settings do not make (fewer than 2 symbols, order below 1, too many
  ///   contexts, a sharpness that is not finite and positive).
  /// - Complexity: O(symbols^(order+1)) for the chain and its stationary distribution, plus
  ///   O((trainingTokens + heldOutTokens)·symbols) for the streams.
  public func makeDataset() throws(DataError) -> TokenDataset {
    for (name, value) in [("training_tokens", trainingTokens), ("held_out_tokens", heldOutTokens)]
    where value < 1 || value > 1 << 28 {
      throw .invalidSetting(name: name, value: Double(value))
    }
    var generator = SeededGenerator(seed: seed)
    let chain: MarkovChain
    do {
      chain = try MarkovChain(symbols: symbols, order: order, sharpness: sharpness, using: &generator)
    } catch {
      switch error {
      case .invalidValue: throw .invalidSetting(name: "sharpness", value: sharpness)
      case .nonPositiveSize(_, let name, _) where name.hasPrefix("symbols"):
        throw .invalidSetting(name: "symbols", value: Double(symbols))
      default: throw .invalidSetting(name: "order", value: Double(order))
      }
    }
    return .markovChain(chain, trainingTokens: trainingTokens, heldOutTokens: heldOutTokens, using: &generator)
  }
}
