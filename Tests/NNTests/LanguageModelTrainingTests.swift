import Foundation
import NN
import TensorCore
import Testing

@Suite("Language models learn a Markov chain")
struct LanguageModelTrainingTests {
  /// Trains `configuration` with AdamW on batches from `batches` and returns the held-out loss before and after.
  private func train(
    _ configuration: LanguageModelConfiguration, on batches: TokenBatches, steps: Int, learningRate: Float
  ) throws -> (initial: Double, final: Double, allocationsGrew: Bool) {
    let model = try LanguageModel(configuration)
    var generator = SeededGenerator(seed: 1)
    model.initialize(using: &generator)
    var optimizer = try AdamW(groups: GroupTable(learningRate: learningRate, weightDecay: 0))
    let schedule = try WarmupCosineSchedule(warmupSteps: 10, totalSteps: steps)
    let workspace = Workspace()
    let evaluation = batches.evaluationBatches()
    func heldOutLoss() throws -> Double {
      var (total, count) = (0.0, 0)
      for batch in evaluation {
        workspace.reset()
        let result = try model.loss(on: batch, pass: .evaluation, workspace: workspace)
        total += result.loss * Double(result.countedTargets)
        count += result.countedTargets
      }
      return total / Double(count)
    }
    let initial = try heldOutLoss()
    var allocationsAfterSecondStep = 0
    for step in 0..<steps {
      workspace.reset()
      model.parameters.zeroGradients()
      _ = try model.loss(on: batches.trainingBatch(step: step), pass: .training(step: step, gradientScale: 1), workspace: workspace)
      model.parameters.clipGradients(maxNorm: 1)
      optimizer.update(model.parameters, learningRateFactor: schedule.factor(atStep: step))
      if step == 1 { allocationsAfterSecondStep = workspace.systemAllocations }
    }
    return (initial, try heldOutLoss(), workspace.systemAllocations != allocationsAfterSecondStep)
  }

  /// The two mixers, each with the steps it needs to come within 0.05 nats of the optimum.
  static let cases: [(LanguageModelConfiguration, steps: Int)] = [
    (.transformer(vocabularySize: 6, contextLength: 16, width: 16, layers: 1, heads: 2), 150),
    (.stateSpace(vocabularySize: 6, contextLength: 16, width: 16, layers: 1, kernel: .s4d(stateSize: 4)), 80),
  ]

  @Test(arguments: cases)
  func lossFallsToTheEntropyRate(_ configuration: LanguageModelConfiguration, steps: Int) throws {
    var generator = SeededGenerator(seed: 7)
    let chain = try MarkovChain(symbols: 6, sharpness: 2, using: &generator)
    let dataset = TokenDataset.markovChain(chain, trainingTokens: 20_000, heldOutTokens: 4_097, using: &generator)
    let batches = try TokenBatches(dataset: dataset, sequences: 8, sequenceLength: 16, seed: 3)
    let optimum = try #require(batches.bestPossibleLoss)
    #expect(abs(optimum - chain.entropyRate) < 1e-12)
    let result = try train(configuration, on: batches, steps: steps, learningRate: 2e-2)
    // Near log 6 at the start; within 0.05 nats of the optimum at the end, and not below it by more than
    // the held-out sample's noise (4096 targets: a standard error of about 0.015 nats).
    #expect(abs(result.initial - log(6)) < 0.1, "initial \(result.initial)")
    #expect(result.final < optimum + 0.05, "final \(result.final), optimum \(optimum)")
    #expect(result.final > optimum - 0.05, "final \(result.final), optimum \(optimum)")
    #expect(!result.allocationsGrew, "steady steps took workspace blocks")
  }
}
