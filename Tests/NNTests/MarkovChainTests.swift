import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// The binary entropy `−p log p − (1−p) log(1−p)` in nats.
private func binaryEntropy(_ p: Double) -> Double { -p * log(p) - (1 - p) * log(1 - p) }

@Suite("Markov-chain data, byte-level text and batches")
struct MarkovChainTests {
  @Test func twoStateChainHasItsClosedFormStationaryDistributionAndEntropyRate() throws {
    // P = [[1−a, a], [b, 1−b]]: π = (b, a)/(a + b), H = π₀ h(a) + π₁ h(b).
    let (a, b) = (0.2, 0.6)
    let chain = try MarkovChain(symbols: 2, transitions: [1 - a, a, b, 1 - b])
    #expect(abs(chain.stationary[0] - 0.75) < 1e-12 && abs(chain.stationary[1] - 0.25) < 1e-12)
    let expected = 0.75 * binaryEntropy(a) + 0.25 * binaryEntropy(b)
    #expect(abs(chain.entropyRate - expected) < 1e-12, "\(chain.entropyRate) vs \(expected)")
    #expect(chain.stationaryResidual < 1e-14)
    #expect(abs(chain.bestPossibleLoss(sequenceLength: 5) - expected) < 1e-12)
    // The sampler visits the states in proportion to π: 0.75 ± 3 standard errors (correlated samples).
    var generator = SeededGenerator(seed: 1)
    let sample = chain.sample(length: 100_000, using: &generator)
    let zeros = Double(sample.filter { $0 == 0 }.count) / Double(sample.count)
    #expect(abs(zeros - 0.75) < 0.01, "fraction of state 0: \(zeros)")
    // Empirical transition frequency out of state 1.
    var (fromOne, oneToZero) = (0, 0)
    for (x, y) in zip(sample, sample.dropFirst()) where x == 1 {
      fromOne += 1
      if y == 0 { oneToZero += 1 }
    }
    #expect(abs(Double(oneToZero) / Double(fromOne) - b) < 0.015)
  }

  @Test func periodicChainConvergesAndIsDeterministic() throws {
    // Alternating 0, 1, 0, 1: plain power iteration would oscillate; the lazy chain converges to (½, ½).
    let chain = try MarkovChain(symbols: 2, transitions: [0, 1, 1, 0])
    #expect(abs(chain.stationary[0] - 0.5) < 1e-12)
    #expect(chain.entropyRate == 0)
  }

  @Test func secondOrderChainThatIgnoresTheOlderSymbolMatchesTheFirstOrderOne() throws {
    var generator = SeededGenerator(seed: 3)
    let first = try MarkovChain(symbols: 3, sharpness: 1.5, using: &generator)
    // Context (x₁, x₂) = x₁·3 + x₂ moves by the row of x₂.
    let rows = (0..<9).flatMap { c in first.transitions[(c % 3) * 3..<(c % 3) * 3 + 3] }
    let second = try MarkovChain(symbols: 3, order: 2, transitions: Array(rows))
    #expect(abs(second.entropyRate - first.entropyRate) < 1e-12)
    // Its stationary distribution over pairs is π(x₁)·P(x₁, x₂).
    for c in 0..<9 {
      let expected = first.stationary[c / 3] * first.transitions[c]
      #expect(abs(second.stationary[c] - expected) < 1e-12)
    }
    // The first target sees one symbol, which is all the chain depends on: the optimum is H throughout.
    #expect(abs(second.bestPossibleLoss(sequenceLength: 4) - first.entropyRate) < 1e-12)
  }

  @Test func secondOrderBestLossChargesTheFirstPositionItsMissingContext() throws {
    // x_{t+1} = x_{t−1} (a copy from two back) over 2 symbols, with uniform pairs (the lazy iteration keeps
    // its uniform start, which is stationary): H = 0, but the first target, seeing only x₀, is a fair coin:
    // log 2 over a window of 4 averages to log 2 / 4.
    let chain = try MarkovChain(symbols: 2, order: 2, transitions: [1, 0, 1, 0, 0, 1, 0, 1])
    #expect(chain.entropyRate == 0)
    #expect(abs(chain.bestPossibleLoss(sequenceLength: 4) - log(2) / 4) < 1e-12)
  }

  @Test func invalidChainsAreErrors() {
    #expect(throws: TrainingError.invalidValue(layer: "MarkovChain", name: "sum of transition row 1", value: 0.75)) {
      try MarkovChain(symbols: 2, transitions: [0.5, 0.5, 0.5, 0.25])
    }
    #expect(throws: TrainingError.self) { try MarkovChain(symbols: 2, transitions: [1, 0, 0]) }
    var generator = SeededGenerator(seed: 0)
    #expect(throws: TrainingError.self) { try MarkovChain(symbols: 1, using: &generator) }
    #expect(throws: TrainingError.self) { try MarkovChain(symbols: 256, order: 3, using: &generator) }
  }

  @Test func byteTextSplitsAndRefusesWhatIsNotUTF8() throws {
    let text = Array("héllo, wörld! ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 84)
    let dataset = try TokenDataset.byteText(text, source: "t.txt", heldOutFraction: 0.1)
    #expect(dataset.vocabularySize == 256)
    #expect(dataset.training.count == 90 && dataset.heldOut.count == 10)
    #expect(dataset.training.prefix(3) == [104, 0xC3, 0xA9])
    #expect(dataset.bestPossibleLoss(sequenceLength: 8) == nil)
    #expect(throws: DataError.notUTF8(file: "bad.txt", byteOffset: 3)) {
      try TokenDataset.byteText([0x41, 0x42, 0x43, 0xC3, 0x28, 0x44], source: "bad.txt")
    }
    #expect(throws: DataError.empty(file: "empty.txt")) { try TokenDataset.byteText([], source: "empty.txt") }
    #expect(throws: DataError.self) { try TokenDataset.byteText(contentsOf: "/nonexistent/corpus.txt") }
    // A device or FIFO named as text data is refused by its kind, without reading from it or blocking.
    // A chain whose transition table exceeds its bound is refused before it is drawn, naming the setting.
    var generator = SeededGenerator(seed: 1)
    #expect(throws: TrainingError.invalidSize(
      layer: "MarkovChain", name: "symbols", value: 4096,
      requirement: "gives more than \(MarkovChain.maximumTransitions) transitions at order 1")) {
      try MarkovChain(symbols: 4096, order: 1, using: &generator)
    }
    #expect(throws: DataError.unreadable(file: "/dev/zero", reason: "not a regular file: it is a character device")) {
      try TokenDataset.byteText(contentsOf: "/dev/zero")
    }
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let path = folder.url.appendingPathComponent("corpus.txt").path
    try Data(text).write(to: URL(fileURLWithPath: path))
    #expect(try TokenDataset.byteText(contentsOf: path).training == dataset.training)
  }

  @Test func batchesAreShiftedWindowsDrawnFromTheSeedAndStep() throws {
    let tokens = (0..<200).map { Int32($0 % 97) }
    let dataset = TokenDataset(source: "ramp", vocabularySize: 97, training: tokens, heldOut: Array(tokens.prefix(50)))
    let batches = try TokenBatches(dataset: dataset, sequences: 3, sequenceLength: 8, seed: 5)
    let batch = batches.trainingBatch(step: 7)
    guard case .tokens(let inputs, let sequences) = batch.inputs else { Issue.record("not tokens"); return }
    #expect(sequences == 3 && inputs.count == 24 && batch.targets.count == 24)
    // On a ramp every target is its input plus one (mod 97), and windows are contiguous.
    #expect(zip(inputs, batch.targets).allSatisfy { ($0 + 1) % 97 == $1 })
    #expect(batches.trainingBatch(step: 7).targets == batch.targets)
    #expect(batches.trainingBatch(step: 8).targets != batch.targets)
    // 49 held-out targets make 6 windows of 8: batches of 3 and 3.
    let evaluation = batches.evaluationBatches()
    #expect(evaluation.count == 2)
    #expect(evaluation.allSatisfy { $0.targets.count == 24 })
    #expect(evaluation[0].targets.prefix(2) == [1, 2])
    #expect(throws: DataError.tooShort(source: "ramp", split: "held-out", tokens: 50, needed: 51)) {
      try TokenBatches(dataset: dataset, sequences: 1, sequenceLength: 50, seed: 0)
    }
  }
}
