import TensorCore

/// Draws the next token from a model's logits: greedy at temperature 0, otherwise from
/// `softmax(logits / temperature)` restricted to the `topK` largest logits.
public struct TokenSampler: Sendable {
  /// The divisor of the logits; 0 picks the largest logit (the first on ties).
  public let temperature: Double
  /// How many of the largest logits stay candidates (`nil`: all).
  public let topK: Int?

  /// Creates a sampler.
  ///
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` for a negative or non-finite temperature,
  ///   ``TrainingError/nonPositiveSize(layer:name:value:)`` for a `topK` below 1.
  public init(temperature: Double = 1, topK: Int? = nil) throws(TrainingError) {
    guard temperature.isFinite, temperature >= 0 else {
      throw .invalidValue(layer: "TokenSampler", name: "temperature (finite, at least 0)", value: temperature)
    }
    if let topK { try requirePositive(topK, "topK", "TokenSampler") }
    self.temperature = temperature
    self.topK = topK
  }

  /// The next token.
  ///
  /// - Complexity: O(V log V) with `topK`, O(V) without.
  public func sample(_ logits: [Float], using generator: inout SeededGenerator) -> Int32 {
    precondition(!logits.isEmpty, "TokenSampler: no logits")
    if temperature == 0 { return Int32(logits.withUnsafeBufferPointer { argmax($0.baseAddress!, $0.count) }) }
    var candidates = Array(logits.indices)
    if let topK, topK < logits.count {
      candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
      candidates.removeLast(logits.count - topK)
    }
    let maximum = candidates.reduce(-Double.infinity) { max($0, Double(logits[$1])) }
    let weights = candidates.map { Double.exponential((Double(logits[$0]) - maximum) / temperature) }
    var threshold = generator.nextUnit() * weights.reduce(0, +)
    for (candidate, weight) in zip(candidates, weights) {
      threshold -= weight
      if threshold < 0 { return Int32(candidate) }
    }
    return Int32(candidates[candidates.count - 1])
  }
}
