import TensorCore

extension LanguageModel {
  /// Continues `prompt` by `count` tokens sampled one at a time, with a key/value cache (attention) or the
  /// mixers' recurrences (long convolution).
  ///
  /// A state-space LM's recurrence runs on past the context. An attention model sees at most
  /// ``LanguageModelConfiguration/contextLength`` tokens: a longer prompt keeps its last `contextLength`
  /// tokens, and when the cache fills, the decoder restarts from the last `contextLength/2` tokens (so
  /// each restart costs `contextLength/2` steps every `contextLength/2` tokens).
  ///
  /// - Parameters:
  ///   - prompt: At least one token id.
  ///   - count: How many tokens to generate.
  ///   - temperature: 0 for greedy decoding.
  ///   - topK: How many of the largest logits stay candidates (`nil`: all).
  ///   - generator: The source of every random draw.
  /// - Returns: The `count` generated tokens (without the prompt).
  /// - Throws: ``TrainingError`` for an empty prompt, a negative count, a token outside the vocabulary, or an
  ///   invalid temperature or `topK`.
  public func generate(
    prompt: [Int32], tokens count: Int, temperature: Double = 1, topK: Int? = nil,
    using generator: inout SeededGenerator
  ) throws(TrainingError) -> [Int32] {
    guard !prompt.isEmpty else { throw .batchDoesNotFit(layer: "generate", reason: "the prompt is empty") }
    guard count >= 0 else { throw .nonPositiveSize(layer: "generate", name: "tokens", value: count) }
    let sampler = try TokenSampler(temperature: temperature, topK: topK)
    let decoder = try LanguageModelDecoder(self)
    let context = configuration.contextLength
    var history = prompt
    var logits: [Float] = []
    for token in prompt.suffix(min(prompt.count, decoder.remainingCapacity)) { logits = try decoder.append(token) }
    var generated: [Int32] = []
    generated.reserveCapacity(count)
    while generated.count < count {
      let next = sampler.sample(logits, using: &generator)
      generated.append(next)
      history.append(next)
      guard generated.count < count else { break }
      if decoder.remainingCapacity == 0 {
        decoder.reset()
        for token in history.suffix(max(1, context / 2)).dropLast() { _ = try decoder.append(token) }
      }
      logits = try decoder.append(next)
    }
    return generated
  }
}
