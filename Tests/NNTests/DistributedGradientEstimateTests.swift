import Distributed
import NN
import TensorCore
import TestSupport
import Testing

/// The teacher task's batches at every index, the same on every rank.
private struct TeacherBatches: BatchProvider {
  var batches: any BatchProvider
  mutating func trainingBatch(at index: Int) -> Batch { batches.trainingBatch(at: index) }
  var evaluationBatches: [Batch] { [] }
  var bestPossibleLoss: Double? { nil }
  var examplesPerBatch: Int { batches.examplesPerBatch }
}

@Suite("The LoRA-GA gradient pass over threaded ranks")
struct DistributedGradientEstimateTests {
  /// The estimate over 5 batches on `ranks` ranks, as every rank returns it.
  func estimate(ranks: Int) throws -> [[String: [Float]]] {
    try ThreadedProcessGroup.run(ranks: ranks) { group in
      var training = TrainingConfiguration()
      training.batchSize = 7
      training.seed = 3
      let run = RunConfiguration(
        model: .mlp(MLPConfiguration(inputFeatures: 6, hiddenFeatures: [5], classes: 3)),
        data: .teacher(TeacherClassificationTask(examples: 100, features: 6, classes: 3, teacherHidden: 4, seed: 9)),
        training: training)
      let components = try RunComponents(run)
      let model = try #require(components.model as? MLPClassifier)
      var generator = SeededGenerator(seed: 4)
      model.initialize(using: &generator)
      var batches = TeacherBatches(batches: components.batches)
      let gradients = try LoRAGradientEstimate.meanGradients(
        of: model, targets: .pattern(".*"), batches: &batches, batchCount: 5, group: group)
      return gradients.mapValues(\.scalars)
    }.map { try $0.get() }
  }

  @Test func theEstimateOverRanksIsTheSingleProcessMeanOverTheSameBatches() throws {
    let single = try estimate(ranks: 1)[0]
    #expect(single.keys.sorted() == ["hidden.0", "output"])
    // 5 batches over 2 ranks are 3 + 2, over 3 ranks 2 + 2 + 1: the sum weights each rank by its batches.
    for ranks in [2, 3] {
      let results = try estimate(ranks: ranks)
      for result in results { #expect(result == results[0], "every rank holds the same estimate") }
      for (module, expected) in single {
        let got = try #require(results[0][module])
        let scale = expected.map(abs).max() ?? 1
        let largest = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(largest <= 1e-6 * scale, "\(module) over \(ranks) ranks: \(largest)")
        #expect(scale > 0)
      }
    }
  }
}
