import Distributed
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// What one rank of a run ends with.
struct RankOutcome: Sendable {
  let losses: [Double]
  let evaluations: [TrainingState.Evaluation]
  /// The bit patterns of every parameter value.
  let values: [UInt32]
}

@Suite("Data-parallel training over threaded ranks", .serialized)
struct DataParallelTrainingTests {
  /// The MLP classifier on the teacher task: batches of 15 (uneven shards over 2 and 4 ranks), three
  /// micro-batches a step, clipping on, evaluation and checkpoints left to the test.
  func classifierRun(steps: Int = 6) -> RunConfiguration {
    var run = RunConfiguration(
      model: .mlp(MLPConfiguration(inputFeatures: 8, hiddenFeatures: [12], classes: 4, hiddenLayers: .monarch(blocks: 2))),
      data: .teacher(TeacherClassificationTask(examples: 240, features: 8, classes: 4, teacherHidden: 8, seed: 7)),
      training: TrainingConfiguration())
    (run.training.steps, run.training.batchSize, run.training.accumulationSteps) = (steps, 15, 3)
    (run.training.learningRate, run.training.warmupSteps, run.training.clipNorm) = (2e-2, 2, 0.3)
    (run.training.evaluationInterval, run.training.checkpointInterval, run.training.seed) = (0, 0, 13)
    return run
  }

  /// A tiny Transformer LM on the built-in Markov chain, 6 sequences a batch.
  func languageModelRun(dropout: Double = 0) -> RunConfiguration {
    var run = classifierRun()
    run.training.batchSize = 6
    run.model = .languageModel(
      LanguageModelConfiguration(
        vocabularySize: 5, contextLength: 8, width: 8, layers: 1, dropout: dropout,
        mixer: .attention(heads: 2, normalizer: .softmax, positions: .learned), feedForwardLayers: .monarch(blocks: 2)))
    run.data = .markovChain(MarkovChainTask(symbols: 5, order: 1, trainingTokens: 400, heldOutTokens: 40, seed: 2))
    return run
  }

  func makeTrainer(
    _ run: RunConfiguration, group: any ProcessGroup, resumingFrom folder: URL? = nil
  ) throws -> Trainer {
    let components = try RunComponents(run)
    guard let folder else {
      var generator = SeededGenerator(seed: run.training.seed)
      components.model.initialize(using: &generator)
      return try Trainer(model: components.model, data: components.batches, configuration: run.training, group: group)
    }
    let state = try RunCheckpoint.readState(from: folder)
    try RunCheckpoint.load(into: components.model.parameters, from: folder, moments: true, step: state.step)
    return try Trainer(
      model: components.model, data: components.batches, configuration: run.training, state: state, group: group)
  }

  /// Trains `steps` steps (with an evaluation after the last) on every rank of a threaded group of `ranks`.
  func train(
    _ run: RunConfiguration, ranks: Int, steps: Int, resumingFrom folder: URL? = nil, checkpointInto: URL? = nil
  ) throws -> [RankOutcome] {
    try ThreadedProcessGroup.run(ranks: ranks) { group in
      let trainer = try makeTrainer(run, group: group, resumingFrom: folder)
      for _ in 0..<steps { try trainer.step() }
      try trainer.evaluate()
      if let checkpointInto, group.rank == 0 { try RunCheckpoint.write(trainer, configuration: run, to: checkpointInto) }
      let store = trainer.model.parameters
      return RankOutcome(
        losses: trainer.state.trainingLosses, evaluations: trainer.state.evaluations,
        values: store.slots.flatMap { slot in (0..<slot.count).map { store.values[slot.offset + $0].bitPattern } })
    }.map { try $0.get() }
  }

  func expectClose(_ a: [Double], _ b: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, sourceLocation: sourceLocation)
    for (x, y) in zip(a, b) {
      #expect(abs(x - y) <= 1e-5 * abs(y), "\(x) against \(y)", sourceLocation: sourceLocation)
    }
  }

  /// The losses, evaluations and parameters of `ranks` ranks against one process over the same global batches.
  func expectMatchesOneProcess(_ run: RunConfiguration, ranks: Int, sourceLocation: SourceLocation = #_sourceLocation)
    throws
  {
    let single = try train(run, ranks: 1, steps: 6)[0]
    let parallel = try train(run, ranks: ranks, steps: 6)
    // Every rank holds the same parameters and reports the same figures.
    for outcome in parallel.dropFirst() {
      #expect(outcome.values == parallel[0].values, sourceLocation: sourceLocation)
      #expect(outcome.losses == parallel[0].losses, sourceLocation: sourceLocation)
      #expect(outcome.evaluations == parallel[0].evaluations, sourceLocation: sourceLocation)
    }
    expectClose(parallel[0].losses, single.losses, sourceLocation: sourceLocation)
    expectClose(parallel[0].evaluations.map(\.loss), single.evaluations.map(\.loss), sourceLocation: sourceLocation)
    #expect(parallel[0].evaluations.map(\.accuracy) == single.evaluations.map(\.accuracy), sourceLocation: sourceLocation)
    let (a, b) = (parallel[0].values.map(Float.init(bitPattern:)), single.values.map(Float.init(bitPattern:)))
    let largestDifference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    // AdamW divides by the gradients' scale, so rounding in the reduction's order moves a parameter by more than
    // it moves the loss; a wrong reduction moves them by the learning rate's order (2e-2 a step).
    #expect(largestDifference <= 1e-4, "\(largestDifference)", sourceLocation: sourceLocation)
  }

  @Test func classifierLossCurveOverTwoAndThreeRanksIsTheSingleProcessCurve() throws {
    // 15 examples over 2 ranks are shards of 7 and 8, over 3 ranks 5 each: the gradients are weighted by the
    // shards' sizes.
    try expectMatchesOneProcess(classifierRun(), ranks: 2)
    try expectMatchesOneProcess(classifierRun(), ranks: 3)
  }

  @Test func languageModelLossCurveOverTwoAndFourRanksIsTheSingleProcessCurve() throws {
    try expectMatchesOneProcess(languageModelRun(), ranks: 2)
    try expectMatchesOneProcess(languageModelRun(), ranks: 4)
  }

  @Test func aRunResumedOnAnotherNumberOfRanksContinuesTheUninterruptedRun() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("data-parallel-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = classifierRun()
    let straight = try train(run, ranks: 1, steps: 6)[0]
    _ = try train(run, ranks: 2, steps: 3, checkpointInto: folder)
    let resumed = try train(run, ranks: 3, steps: 3, resumingFrom: folder)[0]
    expectClose(resumed.losses, straight.losses)
  }

  @Test func dropoutOverRanksIsDeterministicAndDrawsOtherMasksOnOtherRanks() throws {
    let run = languageModelRun(dropout: 0.2)
    let (first, second) = (try train(run, ranks: 2, steps: 3)[0], try train(run, ranks: 2, steps: 3)[0])
    #expect(first.values == second.values && first.losses == second.losses)
    // Rank 1 seeds its masks apart from rank 0, so its shard is not dropped as a single process drops it.
    let single = try train(run, ranks: 1, steps: 3)[0]
    #expect(first.losses[0] != single.losses[0])
  }

  @Test func shardsInRankOrderAreTheBatch() {
    let features = Tensor<Float>(shape: [5, 3], generator: { Float($0) })
    let batch = Batch(inputs: .features(features), targets: [0, 1, 2, -100, 1])
    let shards = (0..<2).map { batch.shard($0, of: 2) }
    #expect(shards.map(\.exampleCount) == [2, 3])
    #expect(shards.flatMap(\.targets) == batch.targets)
    let scalars = shards.flatMap { shard -> [Float] in
      guard case .features(let rows) = shard.inputs else { return [] }
      return rows.scalars
    }
    #expect(scalars == features.scalars)
    #expect(shards.map { $0.countedTargets() } == [2, 2])

    let tokens = Batch(inputs: .tokens(Array(0..<12), sequences: 3), targets: Array(100..<112))
    let tokenShards = (0..<3).map { tokens.shard($0, of: 3) }
    #expect(tokenShards.map(\.exampleCount) == [1, 1, 1])
    #expect(tokenShards.flatMap(\.targets) == tokens.targets)
    if case .tokens(let ids, let sequences) = tokenShards[2].inputs { #expect(ids == [8, 9, 10, 11] && sequences == 1) }
  }

  @Test func gradientsOfFrozenParametersAreNotReduced() throws {
    var layout = ParameterLayout()
    let ids = try ["a", "b", "c"].map { try layout.declare($0, shape: [3], group: .decayed) }
    let frozenInTheMiddle = layout
    let results = ThreadedProcessGroup.run(ranks: 2) { group in
      let store = try ParameterStore(layout: frozenInTheMiddle)
      _ = store.setTrainable(false) { $0 == "b" }
      for slot in store.slots { for i in 0..<slot.count { store.gradients[slot.offset + i] = Float(group.rank + 1) } }
      try store.allReduceGradients(over: group, .sum)
      return ids.map { Array(store.gradient($0)) }
    }
    let rank1 = try results[1].get()
    #expect(rank1 == [[3, 3, 3], [2, 2, 2], [3, 3, 3]])
  }

  @Test func aBatchSmallerThanTheRanksAndAFailedRankAreErrors() throws {
    var run = classifierRun()
    run.training.batchSize = 2
    let small = run
    let tooMany = ThreadedProcessGroup.run(ranks: 3) { group in _ = try makeTrainer(small, group: group) }
    for result in tooMany {
      #expect(throws: TrainingError.self) { try result.get() }
    }
    // Rank 1 fails before its first step: rank 0 gets an error naming it instead of waiting for ever.
    let failed = ThreadedProcessGroup.run(ranks: 2) { group in
      if group.rank == 1 { throw DistributedError.rankFailed(rank: 1, reason: "cannot read the data") }
      try makeTrainer(classifierRun(), group: group).step()
    }
    #expect {
      try failed[0].get()
    } throws: { error in
      guard case TrainerError.collectiveFailed(step: 1, .rankFailed(rank: 1, _)) = error else { return false }
      return true
    }
  }
}
