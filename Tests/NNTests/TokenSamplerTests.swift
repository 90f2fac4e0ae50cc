import Foundation
import NN
import TensorCore
import Testing

@Suite("Sampling the next token")
struct TokenSamplerTests {
  @Test func drawsFollowTheTemperedSoftmaxOfTheTopK() throws {
    let logits: [Float] = [0, 1, 2, -1, 0.5]
    let sampler = try TokenSampler(temperature: 2, topK: 3)
    var generator = SeededGenerator(seed: 12)
    var counts = [Int](repeating: 0, count: logits.count)
    let draws = 40_000
    for _ in 0..<draws { counts[Int(sampler.sample(logits, using: &generator))] += 1 }
    // Candidates 2, 1 and 4 (logits 2, 1, 0.5), weights exp(l/2).
    let weights = [2.0, 1.0, 0.5].map { exp($0 / 2) }
    let total = weights.reduce(0, +)
    for (index, weight) in zip([2, 1, 4], weights) {
      let frequency = Double(counts[index]) / Double(draws)
      // Three standard errors of a binomial frequency.
      let p = weight / total
      #expect(abs(frequency - p) < 3 * (p * (1 - p) / Double(draws)).squareRoot(), "token \(index): \(frequency) vs \(p)")
    }
    #expect(counts[0] == 0 && counts[3] == 0, "tokens outside the top 3 were drawn: \(counts)")
  }

  @Test func temperatureZeroIsGreedyAndBadSettingsAreErrors() throws {
    var generator = SeededGenerator(seed: 1)
    #expect(try TokenSampler(temperature: 0).sample([0.1, 3, 3, -2], using: &generator) == 1)
    #expect(throws: TrainingError.self) { try TokenSampler(temperature: .nan) }
    #expect(throws: TrainingError.nonPositiveSize(layer: "TokenSampler", name: "topK", value: 0)) {
      try TokenSampler(topK: 0)
    }
  }
}
