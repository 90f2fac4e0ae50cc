import TensorCore

/// A k-th order Markov chain over `V` symbols, the built-in language-modelling task whose best achievable
/// loss is known exactly.
///
/// The state is the last `order` symbols (`V^order` contexts, context `c = x₁·V^(k−1) + … + x_k`, oldest
/// first); row `c` of ``transitions`` is the distribution of the next symbol. The stationary distribution π
/// over contexts is computed when the chain is made, by power iteration on the lazy chain `(I + P)/2` (same
/// stationary distribution, and it converges for periodic chains too) until the L1 change is below 1e-14
/// (at most ``maximumIterations`` iterations and ``maximumIterationWork`` multiply-adds: ``stationaryResidual``
/// tells a chain that mixes too slowly),
/// and with it the entropy rate
/// `H = −Σ_c π_c Σ_j P_cj log P_cj` nats per symbol: the expected loss of the chain's own predictions, which
/// no model can beat in expectation once it sees the last `order` symbols.
public struct MarkovChain: Sendable {
  /// The number of symbols V.
  public let symbols: Int
  /// The number of past symbols the next one depends on.
  public let order: Int
  /// `V^order × V` transition probabilities, row-major; each row sums to 1.
  public let transitions: [Double]
  /// The stationary distribution over the `V^order` contexts.
  public let stationary: [Double]
  /// The entropy rate H in nats per symbol.
  public let entropyRate: Double
  /// The L1 change of ``stationary`` in the last power iteration: below 1e-14 unless the chain mixes too
  /// slowly for ``maximumIterations``.
  public let stationaryResidual: Double

  /// The most power iterations spent on ``stationary``.
  public static let maximumIterations = 100_000

  /// The number of contexts, `V^order`.
  public var contexts: Int { transitions.count / symbols }

  /// The contexts above which a chain is refused (its tables would not fit comfortably in memory).
  public static let maximumContexts = 1 << 20

  /// The most transition probabilities a chain may have (`V^order × V`): 2²² (32 MiB of `Double`), so that
  /// making a chain whose sizes come from a file takes bounded memory and time.
  public static let maximumTransitions = 1 << 22

  /// The most multiply-adds the power iteration spends, `iterations × V^order × V` (2²⁸, a fraction of a second):
  /// a large, slowly mixing chain stops earlier than ``maximumIterations`` and says so in
  /// ``stationaryResidual``.
  public static let maximumIterationWork = 1 << 28

  /// A chain with random transitions: row `c` is `softmax(sharpness · z)` with `z` standard normal from
  /// `generator`. Sharper rows have lower entropy, so a model has more to learn beyond the unigram.
  ///
  /// - Throws: ``TrainingError/nonPositiveSize(layer:name:value:)`` for `symbols` below 2 or a non-positive
  ///   order, ``TrainingError/invalidSize(layer:name:value:requirement:)`` beyond ``maximumContexts`` or
  ///   ``maximumTransitions``,
  ///   ``TrainingError/invalidValue(layer:name:value:)`` for a sharpness that is not finite and positive.
  public init(symbols: Int, order: Int = 1, sharpness: Double = 2, using generator: inout SeededGenerator) throws(TrainingError) {
    let contexts = try Self.contexts(symbols: symbols, order: order)
    try requirePositive(sharpness, "sharpness", "MarkovChain")
    var transitions = [Double](repeating: 0, count: contexts * symbols)
    for c in 0..<contexts {
      var sum = 0.0
      for j in 0..<symbols {
        let weight = Double.exponential(sharpness * generator.nextNormal())
        transitions[c * symbols + j] = weight
        sum += weight
      }
      for j in 0..<symbols { transitions[c * symbols + j] /= sum }
    }
    self.init(checkedSymbols: symbols, order: order, transitions: transitions)
  }

  /// A chain with the given transitions.
  ///
  /// - Parameters:
  ///   - symbols: V, at least 2.
  ///   - order: k, at least 1.
  ///   - transitions: `V^order × V` probabilities, row-major; each row non-negative, summing to 1 within 1e-9.
  /// - Throws: ``TrainingError`` for sizes that do not fit or a row that is not a distribution.
  public init(symbols: Int, order: Int = 1, transitions: [Double]) throws(TrainingError) {
    let contexts = try Self.contexts(symbols: symbols, order: order)
    guard transitions.count == contexts * symbols else {
      throw .invalidSize(
        layer: "MarkovChain", name: "transitions.count", value: transitions.count,
        requirement: "must be V^order × V = \(contexts * symbols)")
    }
    for c in 0..<contexts {
      let row = transitions[c * symbols..<(c + 1) * symbols]
      let sum = row.reduce(0, +)
      guard row.allSatisfy({ $0.isFinite && $0 >= 0 }), abs(sum - 1) <= 1e-9 else {
        throw .invalidValue(layer: "MarkovChain", name: "sum of transition row \(c)", value: sum)
      }
    }
    self.init(checkedSymbols: symbols, order: order, transitions: transitions)
  }

  private init(checkedSymbols symbols: Int, order: Int, transitions: [Double]) {
    self.symbols = symbols
    self.order = order
    self.transitions = transitions
    let contexts = transitions.count / symbols
    let stride = contexts / symbols
    // Context c followed by symbol j moves to (c mod V^(k−1))·V + j.
    var pi = [Double](repeating: 1 / Double(contexts), count: contexts)
    var next = pi
    var residual = Double.infinity
    let iterations = min(Self.maximumIterations, max(1, Self.maximumIterationWork / transitions.count))
    for _ in 0..<iterations {
      for c in 0..<contexts { next[c] = 0.5 * pi[c] }
      for c in 0..<contexts {
        let base = (c % stride) * symbols
        let mass = 0.5 * pi[c]
        for j in 0..<symbols { next[base + j] += mass * transitions[c * symbols + j] }
      }
      var change = 0.0
      for c in 0..<contexts { change += abs(next[c] - pi[c]) }
      swap(&pi, &next)
      residual = change
      if change < 1e-14 { break }
    }
    stationary = pi
    stationaryResidual = residual
    var entropy = 0.0
    for c in 0..<contexts {
      var rowEntropy = 0.0
      for j in 0..<symbols {
        let p = transitions[c * symbols + j]
        if p > 0 { rowEntropy -= p * Double.logarithm(p) }
      }
      entropy += pi[c] * rowEntropy
    }
    entropyRate = entropy
  }

  private static func contexts(symbols: Int, order: Int) throws(TrainingError) -> Int {
    guard symbols >= 2 else { throw .nonPositiveSize(layer: "MarkovChain", name: "symbols - 1", value: symbols - 1) }
    try requirePositive(order, "order", "MarkovChain")
    var contexts = 1
    for _ in 0..<order {
      let (product, overflow) = contexts.multipliedReportingOverflow(by: symbols)
      guard !overflow, product <= maximumContexts else {
        throw .invalidSize(
          layer: "MarkovChain", name: "order", value: order,
          requirement: "gives more than \(maximumContexts) contexts of \(symbols) symbols")
      }
      contexts = product
    }
    let (transitions, overflow) = contexts.multipliedReportingOverflow(by: symbols)
    guard !overflow, transitions <= maximumTransitions else {
      throw .invalidSize(
        layer: "MarkovChain", name: "symbols", value: symbols,
        requirement: "gives more than \(maximumTransitions) transitions at order \(order)")
    }
    return contexts
  }

  /// The best expected next-token loss, averaged over the `sequenceLength` targets of a window that starts at
  /// a stationary point: `H` once the model sees `order` symbols, and the exact conditional entropy
  /// `H(X_{t+1} | X_0 … X_t)` at the first `order − 1` positions, which see fewer.
  public func bestPossibleLoss(sequenceLength: Int) -> Double {
    precondition(sequenceLength > 0, "MarkovChain.bestPossibleLoss: sequence length \(sequenceLength)")
    // Entropies of the first m symbols of a stationary window, m = 1 … order, from the marginals of π.
    var blockEntropy = [Double](repeating: 0, count: order + 1)
    var marginal = stationary
    for m in stride(from: order, through: 1, by: -1) {
      blockEntropy[m] = marginal.reduce(0) { $1 > 0 ? $0 - $1 * Double.logarithm($1) : $0 }
      // Sum out the newest symbol.
      marginal = (0..<(marginal.count / symbols)).map { c in marginal[c * symbols..<(c + 1) * symbols].reduce(0, +) }
    }
    var total = 0.0
    for t in 0..<sequenceLength {
      total += t + 2 <= order ? blockEntropy[t + 2] - blockEntropy[t + 1] : entropyRate
    }
    return total / Double(sequenceLength)
  }

  /// A sequence of `length` symbols from the stationary chain: the first `order` symbols drawn from π, each
  /// later one from the row of the previous `order`.
  ///
  /// - Complexity: O(length·V).
  public func sample(length: Int, using generator: inout SeededGenerator) -> [Int32] {
    precondition(length >= 0, "MarkovChain.sample: negative length \(length)")
    var context = draw(stationary[...], &generator)
    var result: [Int32] = []
    result.reserveCapacity(length)
    var digits = [Int32](repeating: 0, count: order)
    var rest = context
    for i in stride(from: order - 1, through: 0, by: -1) {
      digits[i] = Int32(rest % symbols)
      rest /= symbols
    }
    result += digits.prefix(length)
    let stride = contexts / symbols
    while result.count < length {
      let next = draw(transitions[context * symbols..<(context + 1) * symbols], &generator)
      result.append(Int32(next))
      context = (context % stride) * symbols + next
    }
    return result
  }

  /// An index drawn from the distribution `weights` (summing to 1).
  private func draw(_ weights: ArraySlice<Double>, _ generator: inout SeededGenerator) -> Int {
    var threshold = generator.nextUnit()
    for (offset, weight) in weights.enumerated() {
      threshold -= weight
      if threshold < 0 { return offset }
    }
    return weights.count - 1
  }
}
