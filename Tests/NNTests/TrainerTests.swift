import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// The same batch at every index.
extension Array {
  /// The array `count` times over.
  fileprivate func repeated(_ count: Int) -> [Element] { (0..<count).flatMap { _ in self } }
}

private struct RepeatedBatch: BatchProvider {
  let batch: Batch
  mutating func trainingBatch(at index: Int) -> Batch { batch }
  var evaluationBatches: [Batch] { [batch] }
  var bestPossibleLoss: Double? { nil }
  var examplesPerBatch: Int { batch.targets.count }
}

@Suite("Trainer, data and checkpoints", .serialized)
struct TrainerTests {
  let folder: URL

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  func configuration(steps: Int, hidden: LinearLayerKind = .monarch(blocks: 2)) -> RunConfiguration {
    var training = TrainingConfiguration()
    training.steps = steps
    training.batchSize = 16
    training.accumulationSteps = 2
    training.learningRate = 1e-2
    training.warmupSteps = 2
    training.clipNorm = 0.5
    training.evaluationInterval = 0
    training.checkpointInterval = 0
    training.seed = 11
    return RunConfiguration(
      model: .mlp(MLPConfiguration(inputFeatures: 8, hiddenFeatures: [16], classes: 4, hiddenLayers: hidden)),
      data: .teacher(TeacherClassificationTask(examples: 200, features: 8, classes: 4, teacherHidden: 8, seed: 5)),
      training: training)
  }

  func makeTrainer(_ run: RunConfiguration, state: TrainingState? = nil, initialize: Bool = true) throws -> Trainer {
    let components = try RunComponents(run)
    if initialize {
      var generator = SeededGenerator(seed: run.training.seed)
      components.model.initialize(using: &generator)
    }
    return try Trainer(model: components.model, data: components.batches, configuration: run.training, state: state)
  }

  /// The bit patterns of the values and both moments of every parameter.
  func bits(_ store: ParameterStore) -> [UInt32] {
    store.slots.flatMap { slot in
      [store.values, store.firstMoments, store.secondMoments].flatMap { buffer in
        (0..<slot.count).map { buffer[slot.offset + $0].bitPattern }
      }
    }
  }

  /// Six steps straight against three, a checkpoint, a reload of the configuration and state, and three more.
  func expectResumeIsBitIdentical(_ run: RunConfiguration, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let straight = try makeTrainer(run)
    for _ in 0..<6 { try straight.step() }

    let first = try makeTrainer(run)
    for _ in 0..<3 { try first.step() }
    try RunCheckpoint.write(first, configuration: run, to: folder)
    let loaded = try RunCheckpoint.readConfiguration(from: folder)
    #expect(loaded == run, sourceLocation: sourceLocation)
    let state = try RunCheckpoint.readState(from: folder)
    #expect(state.step == 3 && state.nextMicroBatch == 6, sourceLocation: sourceLocation)
    let resumed = try makeTrainer(loaded, state: state, initialize: false)
    try RunCheckpoint.load(into: resumed.model.parameters, from: folder, moments: true, step: state.step)
    for _ in 0..<3 { try resumed.step() }
    #expect(resumed.state.trainingLosses == straight.state.trainingLosses, sourceLocation: sourceLocation)
    let (a, b) = (bits(straight.model.parameters), bits(resumed.model.parameters))
    #expect(a.count == b.count, sourceLocation: sourceLocation)
    #expect(a == b, "\(zip(a, b).filter { $0 != $1 }.count) of \(a.count) values differ", sourceLocation: sourceLocation)
  }

  @Test func resumeIsBitIdenticalToAnUninterruptedRun() throws {
    try expectResumeIsBitIdentical(configuration(steps: 6))
  }

  /// A tiny Transformer LM with Monarch MLPs and dropout on the built-in Markov chain.
  func languageModelRun(mixer: SequenceMixerConfiguration) -> RunConfiguration {
    var run = configuration(steps: 6)
    run.training.batchSize = 3
    run.model = .languageModel(
      LanguageModelConfiguration(
        vocabularySize: 5, contextLength: 8, width: 8, layers: 1, dropout: 0.1, mixer: mixer,
        feedForwardLayers: .monarch(blocks: 2)))
    run.data = .markovChain(MarkovChainTask(symbols: 5, order: 1, trainingTokens: 400, heldOutTokens: 40, seed: 2))
    return run
  }

  @Test func languageModelResumeIsBitIdenticalToAnUninterruptedRun() throws {
    try expectResumeIsBitIdentical(languageModelRun(mixer: .attention(heads: 2, normalizer: .softmax, positions: .learned)))
    try expectResumeIsBitIdentical(languageModelRun(mixer: .longConvolution(kernel: .rtf(order: 2))))
  }

  @Test func languageModelRunsReadTheChainAndTextAndRefuseDataThatDoesNotFit() throws {
    let run = languageModelRun(mixer: .attention(heads: 2, normalizer: .softmax, positions: .learned))
    let components = try RunComponents(run)
    let batches = try #require(components.batches as? LanguageModelBatches)
    // 3 windows of the context; the held-out stream of 40 tokens makes ⌊39/8⌋ = 4 windows in 2 batches.
    #expect(batches.examplesPerBatch == 24 && batches.evaluationBatches.map(\.targets.count) == [24, 8])
    let dataset = try MarkovChainTask(symbols: 5, order: 1, trainingTokens: 400, heldOutTokens: 40, seed: 2).makeDataset()
    let chain = try #require(dataset.chain)
    #expect(batches.bestPossibleLoss == chain.bestPossibleLoss(sequenceLength: 8))
    #expect(batches.tokens.dataset.heldOut == dataset.heldOut)

    let text = folder.appendingPathComponent("text.txt")
    try Data(Array("héllo wörld, ".utf8).repeated(8)).write(to: text)
    var textRun = run
    textRun.data = .text(file: text.path)
    // The text's bytes go up to 0xC3: the model's 5 tokens do not cover them.
    #expect(throws: TrainingError.self) { try RunComponents(textRun) }
    if case .languageModel(var lm) = textRun.model {
      lm.vocabularySize = 256
      textRun.model = .languageModel(lm)
    }
    let textBatches = try #require(try RunComponents(textRun).batches as? LanguageModelBatches)
    #expect(textBatches.bestPossibleLoss == nil && textBatches.tokens.dataset.vocabularySize == 256)
    // Evaluating on the whole file holds every byte out.
    let whole = try #require(try RunComponents(textRun, evaluationData: .text(file: text.path)).batches as? LanguageModelBatches)
    #expect(whole.tokens.dataset.heldOut.count == 15 * 8)

    try Data("short".utf8).write(to: text)
    #expect {
      try RunComponents(textRun)
    } throws: { error in
      guard case DataError.tooShort(let source, _, _, _) = error else { return false }
      return source == text.path
    }
    try Data([0x68, 0xFF, 0x69]).write(to: text)
    #expect(throws: DataError.notUTF8(file: text.path, byteOffset: 1)) { try RunComponents(textRun) }
    var classifier = textRun
    classifier.data = .teacher(TeacherClassificationTask())
    #expect(throws: DataError.self) { try RunComponents(classifier) }
    #expect(throws: DataError.invalidSetting(name: "symbols", value: 1)) {
      try MarkovChainTask(symbols: 1).makeDataset()
    }
  }

  @Test func checkpointTensorsAreNamedAndShapedAsPyTorchAndMonarchStoreThem() throws {
    let run = configuration(steps: 1)
    let trainer = try makeTrainer(run)
    try trainer.step()
    try RunCheckpoint.write(trainer, configuration: run, to: folder)
    let file = try SafetensorsFile(contentsOf: folder.appendingPathComponent(RunCheckpoint.modelFile))
    let shapes = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.shape) })
    // 8 → 16 Monarch with 2 blocks (rank min(8, 16)/2² = 2: q = r = 4), then a dense 16 → 4 head (out × in).
    #expect(shapes == ["hidden.0.w1": [2, 4, 4], "hidden.0.w2": [2, 8, 4], "hidden.0.bias": [16], "output.weight": [4, 16], "output.bias": [4]])
    #expect(file.metadata["step"] == "1")
    let w = try file.tensorData(named: "output.weight").tensor(as: Float.self)
    #expect(w == (try trainer.model.parameters.tensor(named: "output.weight")))

    // A configuration whose tensors differ: the error names the tensor.
    var wider = run
    wider.model = .mlp(MLPConfiguration(inputFeatures: 8, hiddenFeatures: [16], classes: 5, hiddenLayers: .monarch(blocks: 2)))
    let other = try wider.model.makeModel()
    #expect(throws: CheckpointError.tensorMismatch(file: "model.safetensors", tensor: "output.weight", expected: "F32 [5, 16]", actual: "F32 [4, 16]")) {
      try RunCheckpoint.load(into: other.parameters, from: self.folder, moments: false, step: nil)
    }
    var dense = run
    dense.model = .mlp(MLPConfiguration(inputFeatures: 8, hiddenFeatures: [16], classes: 4))
    #expect(throws: CheckpointError.unexpectedTensor(file: "model.safetensors", tensor: "hidden.0.w1")) {
      try RunCheckpoint.load(into: try dense.model.makeModel().parameters, from: self.folder, moments: false, step: nil)
    }
    #expect(throws: CheckpointError.inconsistentStep(file: "model.safetensors", step: 1, expected: 2)) {
      try RunCheckpoint.load(into: trainer.model.parameters, from: self.folder, moments: true, step: 2)
    }
  }

  @Test func anInterruptedCheckpointWriteLeavesACompleteCheckpoint() throws {
    let run = configuration(steps: 3)
    let trainer = try makeTrainer(run)
    try trainer.step()
    try RunCheckpoint.write(trainer, configuration: run, to: folder)
    let staging = folder.appendingPathComponent(RunCheckpoint.stagingFolder)
    #expect(!FileManager.default.fileExists(atPath: staging.path))
    let afterOne = bits(trainer.model.parameters)

    // Interrupted while staging: only part of the next checkpoint exists; the step-1 checkpoint stays whole.
    try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
    try Data("partial".utf8).write(to: staging.appendingPathComponent(RunCheckpoint.modelFile))
    #expect(try RunCheckpoint.readState(from: folder).step == 1)
    #expect(!FileManager.default.fileExists(atPath: staging.path))

    // Interrupted while renaming: the staged step-2 set is complete and two files were already moved.
    try trainer.step()
    let other = folder.appendingPathComponent("other")
    try RunCheckpoint.write(trainer, configuration: run, to: other)
    try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
    for (index, file) in [RunCheckpoint.modelFile, RunCheckpoint.optimizerFile, RunCheckpoint.configurationFile, RunCheckpoint.stateFile].enumerated() {
      let target = index < 2 ? folder.appendingPathComponent(file) : staging.appendingPathComponent(file)
      try? FileManager.default.removeItem(at: target)
      try FileManager.default.copyItem(at: other.appendingPathComponent(file), to: target)
    }
    let state = try RunCheckpoint.readState(from: folder)
    #expect(state.step == 2 && !FileManager.default.fileExists(atPath: staging.path))
    let restored = try makeTrainer(run, state: state, initialize: false)
    try RunCheckpoint.load(into: restored.model.parameters, from: folder, moments: true, step: 2)
    #expect(bits(restored.model.parameters) == bits(trainer.model.parameters) && afterOne != bits(trainer.model.parameters))
  }

  @Test func lossFallsTowardTheTeachersEntropy() throws {
    var run = configuration(steps: 150, hidden: .dense)
    run.data = .teacher(TeacherClassificationTask(examples: 2000, features: 8, classes: 4, teacherHidden: 8, scale: 3, seed: 5))
    run.training.accumulationSteps = 1
    run.training.batchSize = 64
    run.training.heldOutFraction = 0.25
    let trainer = try makeTrainer(run)
    var checkpoints = 0
    try trainer.run(checkpoint: { _ in checkpoints += 1 })
    let best = try #require(trainer.bestPossibleLoss)
    let evaluations = trainer.state.evaluations
    #expect(checkpoints == 1 && evaluations.count == 2)
    #expect(evaluations[0].loss > best + 0.3, "initial \(evaluations[0].loss), best \(best)")
    #expect(evaluations[1].loss < best + 0.25 * (evaluations[0].loss - best), "final \(evaluations[1].loss), best \(best), initial \(evaluations[0].loss)")
  }

  @Test func accumulatingTwoHalvesOfTheSameBatchIsOneStepAndSGDFollowsItsGroups() throws {
    var features = [Float]()
    var generator = SeededGenerator(seed: 4)
    for _ in 0..<(12 * 8) { features.append(Float(generator.nextNormal())) }
    let batch = Batch(inputs: .features(Tensor(shape: [12, 8], scalars: features)), targets: (0..<12).map { Int32($0 % 4) })
    var training = TrainingConfiguration()
    training.optimizer = .sgd
    training.momentum = 0
    training.learningRate = 0.1
    training.weightDecay = 0.5
    training.warmupSteps = 4
    training.clipNorm = 0
    func trainer(accumulation: Int) throws -> Trainer {
      training.accumulationSteps = accumulation
      let model = try ModelConfiguration.mlp(MLPConfiguration(inputFeatures: 8, hiddenFeatures: [6], classes: 4)).makeModel()
      var generator = SeededGenerator(seed: 2)
      model.initialize(using: &generator)
      return try Trainer(model: model, data: RepeatedBatch(batch: batch), configuration: training)
    }
    let (one, two) = (try trainer(accumulation: 1), try trainer(accumulation: 2))
    var before: [[Float]] = []
    for slot in one.model.parameters.slots { before.append(try one.model.parameters.tensor(named: slot.name).scalars) }
    try one.step()
    try two.step()
    // Gradients scaled by 1/2 and summed twice are the gradient exactly (power-of-two scaling is exact).
    #expect(bits(one.model.parameters) == bits(two.model.parameters))
    // SGD without momentum: p ← p − lr·(s + 1)/W·(g + wd·p) at step s = 0, with no decay on biases.
    let store = one.model.parameters
    for (slot, old) in zip(store.slots, before) {
      let wd: Float = slot.name.hasSuffix("bias") ? 0 : 0.5
      let lr: Float = 0.1 * (1 / 4)
      let g = try store.gradientTensor(named: slot.name).scalars
      let expected = zip(old, g).map { p, g in p - lr * (g + wd * p) }
      #expect(try store.tensor(named: slot.name).scalars == expected, "\(slot.name)")
    }
    #expect(one.state.trainingLosses == two.state.trainingLosses)
  }

  @Test func dataThatDoesNotFitTheModelIsRefusedBeforeAnyStep() throws {
    var run = configuration(steps: 1)
    run.data = .teacher(TeacherClassificationTask(examples: 100, features: 6, classes: 4, seed: 1))
    #expect {
      _ = try RunComponents(run)
    } throws: { error in
      guard case TrainingError.inputMismatch(let layer, let reason) = error else { return false }
      return layer == "model" && reason.contains("8 features") && reason.contains("has 6")
    }
    run.data = .teacher(TeacherClassificationTask(examples: 100, features: 8, classes: 7, seed: 1))
    #expect(throws: TrainingError.self) { _ = try RunComponents(run) }
  }

  @Test func teacherWithoutSignalHasTheUniformEntropy() throws {
    let task = TeacherClassificationTask(examples: 50, features: 3, classes: 6, teacherHidden: 4, scale: 0, seed: 1)
    let dataset = try task.makeDataset()
    #expect(abs(task.bestPossibleLoss(on: dataset, indices: Array(0..<50)) - Foundation.log(6.0)) < 1e-12)
  }

  @Test func nonFiniteLossStopsNamingTheStepAndLeavesTheParameters() throws {
    var scalars = [Float](repeating: 0.5, count: 40 * 8)
    scalars[3] = .nan
    let dataset = ClassificationDataset(
      features: Tensor(shape: [40, 8], scalars: scalars), labels: [Int32](repeating: 1, count: 40), classes: 4, source: "bad")
    var run = configuration(steps: 10, hidden: .dense)
    run.training.heldOutFraction = 0
    run.training.batchSize = 40
    run.training.accumulationSteps = 1
    let model = try run.model.makeModel()
    var generator = SeededGenerator(seed: 1)
    model.initialize(using: &generator)
    let before = bits(model.parameters)
    let trainer = try Trainer(
      model: model, data: try ClassificationBatches(dataset: dataset, batchSize: 40, heldOutFraction: 0, seed: 1),
      configuration: run.training)
    #expect {
      try trainer.step()
    } throws: { error in
      guard case TrainerError.nonFiniteLoss(let step, _) = error else { return false }
      return step == 1
    }
    #expect(bits(model.parameters) == before && trainer.state.step == 0)
  }

  @Test func npyDataErrorsNameTheFile() throws {
    let features = folder.appendingPathComponent("x.npy"), labels = folder.appendingPathComponent("y.npy")
    try NPYFile.write(try TensorData(Tensor<Float>(shape: [6, 2], scalars: (0..<12).map(Float.init))), to: features)
    try NPYFile.write(try TensorData(Tensor<Float>(shape: [6], scalars: [0, 1, 0, 1, 0, 1])), to: labels)
    #expect(throws: DataError.wrongElementType(file: labels.path, dtype: "F32", expected: "an integer type")) {
      try ClassificationDataset(featuresFile: features.path, labelsFile: labels.path)
    }
    let bytes = [Int64](arrayLiteral: 0, 1, 2, 0, 1).withUnsafeBytes { [UInt8]($0) }
    try NPYFile.write(try TensorData(dtype: .int64, shape: [5], bytes: bytes), to: labels)
    #expect(throws: DataError.countMismatch(features: features.path, labels: labels.path, featureRows: 6, labelCount: 5)) {
      try ClassificationDataset(featuresFile: features.path, labelsFile: labels.path)
    }
    let missing = folder.appendingPathComponent("none.npy").path
    #expect {
      try ClassificationDataset(featuresFile: missing, labelsFile: labels.path)
    } throws: { error in
      guard case DataError.unreadable(let file, _) = error else { return false }
      return file == missing
    }
    let six = [Int64](arrayLiteral: 0, 1, 2, 0, 1, 2).withUnsafeBytes { [UInt8]($0) }
    try NPYFile.write(try TensorData(dtype: .int64, shape: [6], bytes: six), to: labels)
    let dataset = try ClassificationDataset(featuresFile: features.path, labelsFile: labels.path)
    #expect(dataset.classes == 3 && dataset.labels == [0, 1, 2, 0, 1, 2] && dataset.featureCount == 2)
    #expect(throws: DataError.tooFewExamples(file: "x.npy", available: 5, needed: 8)) {
      try ClassificationBatches(dataset: dataset, batchSize: 8, heldOutFraction: 0.1, seed: 0)
    }
  }

  @Test func trainingBatchesShuffleEachEpochAndCoverEveryExampleOnce() throws {
    let dataset = ClassificationDataset(
      features: Tensor(shape: [10, 1], scalars: (0..<10).map(Float.init)), labels: (0..<10).map { Int32($0) }, classes: 10,
      source: "ten")
    var batches = try ClassificationBatches(dataset: dataset, batchSize: 4, heldOutFraction: 0.2, seed: 3)
    #expect(batches.heldOutIndices.count == 2 && batches.trainingIndices.count == 8)
    let epochs = (0..<4).flatMap { batches.trainingBatch(at: $0).targets }
    #expect(Set(epochs[0..<8]) == Set(batches.trainingIndices.map { Int32($0) }))
    #expect(Set(epochs[8..<16]) == Set(epochs[0..<8]) && Array(epochs[8..<16]) != Array(epochs[0..<8]))
    // Random access gives the same batch as the sequence did.
    var fresh = try ClassificationBatches(dataset: dataset, batchSize: 4, heldOutFraction: 0.2, seed: 3)
    #expect(fresh.trainingBatch(at: 3).targets == Array(epochs[12..<16]))
  }
}
