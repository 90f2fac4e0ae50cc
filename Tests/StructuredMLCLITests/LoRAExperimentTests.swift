import Foundation
import NN
import TestSupport
import Testing

@testable import StructuredMLCLI

/// The fine-tuning experiment at a size a debug build runs in seconds.
@Suite("structml lora experiment")
struct LoRAExperimentTests {
  static let tiny = LoRAExperiment.Settings(
    symbols: 6, order: 1, sharpness: 2, pretrainingTokens: 4_096, fineTuningTokens: 2_048, heldOutTokens: 513,
    width: 16, layers: 1, heads: 2, context: 8, sequences: 8, pretrainingSteps: 40, pretrainingLearningRate: 2e-2,
    fineTuningSteps: 12, evaluationInterval: 3, rank: 2, alpha: 4, gradientBatches: 2, loraPlusRatio: 16,
    learningRates: [1e-2, 3e-2], seed: 3)

  @Test func everyMethodStartsFromThePretrainedModelAndLearnsTheShiftedTask() throws {
    let result = try LoRAExperiment.run(Self.tiny)
    #expect(result.methods.map(\.method) == LoRAExperiment.Method.allCases)
    #expect(result.bestPossibleLoss < result.targetLoss && result.targetLoss < result.pretrainedLossOnTask)
    for method in result.methods {
      #expect(method.sweep.map(\.learningRate) == Self.tiny.learningRates)
      for curve in method.sweep {
        // Every initialization leaves the model's output unchanged (LoRA-GA and PiSSA by correcting the frozen
        // weight), so each curve starts at the pretrained model's loss.
        let start = try #require(curve.points.first)
        #expect(start.step == 0)
        #expect(abs(start.loss - result.pretrainedLossOnTask) <= 1e-5 * result.pretrainedLossOnTask, "\(method.method) starts at \(start.loss)")
        #expect(curve.points.map(\.step) == [0, 3, 6, 9, 12])
      }
      #expect(method.chosen.finalLoss < result.pretrainedLossOnTask, "\(method.method) did not learn")
    }
    // Adapters on c_attn (16 → 48), attention's and the MLP's c_proj (16 → 16, 64 → 16) and c_fc (16 → 64), rank 2.
    let adapterParameters = 2 * ((16 + 48) + (16 + 16) + (16 + 64) + (64 + 16))
    for method in result.methods where method.method != .full {
      #expect(method.trainableParameters == adapterParameters)
    }

    let report = try #require(
      JSONSerialization.jsonObject(with: Data(LoRAExperimentCommand.report(result).serialized().utf8)) as? [String: Any])
    // Foundation's JSON parser on Linux may round the last digit, so numbers compare to 1e-14.
    func close(_ value: Any?, _ expected: Double) -> Bool {
      guard let value = value as? Double else { return false }
      return abs(value - expected) <= 1e-14 * abs(expected)
    }
    #expect(close(report["target_loss"], result.targetLoss))
    let methods = try #require(report["methods"] as? [[String: Any]])
    #expect(methods.compactMap { $0["name"] as? String } == ["full", "lora", "lora-ga", "pissa", "loraplus"])
    for (entry, method) in zip(methods, result.methods) {
      #expect(close(entry["final_loss"], method.chosen.finalLoss))
      #expect(close(entry["learning_rate"], Double(method.chosen.learningRate)))
      if let steps = method.chosen.stepsToReach(result.targetLoss) {
        #expect(entry["steps_to_target"] as? Int == steps)
      } else {
        #expect(entry["steps_to_target"] is NSNull)
      }
    }

    // The demo's section: one table row per method and the chart the demo checks before it starts.
    let section = FineTuningDemo.section(for: result)
    for method in result.methods {
      #expect(section.markdown.contains("| \(method.method.title) | "), "\(method.method) has no row")
    }
    #expect(section.charts.map(\.fileName) == [FineTuningDemo.chartFile])
    #expect(DemoCommand.reportFiles.contains(FineTuningDemo.chartFile))
    #expect(section.charts[0].chart.series.count == result.methods.count + 2)
  }

  /// Flags out of range exit 2 and an unusable chart path exits 1, each naming the option, before any training.
  @Test func badFlagsAndChartPathsStopBeforeTheExperiment() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Data("keep".utf8).write(to: folder.file("input.txt"))
    for (arguments, status, option) in [
      (["--steps", "0"], Int32(2), "--steps"), (["--steps", "many"], 2, "--steps"), (["--rank", "0"], 2, "--rank"),
      (["--rank", "33"], 2, "--rank"), (["--chart", folder.file("missing/chart.svg").path], 1, "--chart"),
      (["--chart", folder.url.path], 1, "--chart"), (["--bogus"], 2, "--bogus"),
    ] {
      let result = runInProcess(["lora", "experiment"] + arguments)
      #expect(result.status == status, "\(arguments): \(result.error)")
      #expect(result.error.contains(option), "\(arguments): \(result.error)")
      #expect(!(result.out + result.error).contains("pretraining"), "\(arguments) started the experiment")
    }
    #expect(try folder.contents() == ["input.txt"])
  }
}
