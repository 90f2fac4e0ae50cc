import Foundation

/// The demo section of the LoRA family: ``LoRAExperiment`` at its standard size, as a table and the chart of
/// the held-out loss of each method's chosen run.
enum FineTuningDemo {
  /// The file name of the section's chart.
  static let chartFile = "fine-tuning.svg"

  /// Runs the experiment and writes the section.
  static func section() throws -> DemoReport.Section {
    section(for: try LoRAExperiment.run(.standard))
  }

  /// The section for a result of the experiment.
  static func section(for result: LoRAExperiment.Result) -> DemoReport.Section {
    let s = result.settings
    var text = """
      **Full fine-tuning, LoRA, LoRA-GA, PiSSA and LoRA+** (`structml lora experiment`). A Transformer LM (width \
      \(s.width), \(s.layers) blocks, \(s.heads) heads, context \(s.context)) is pretrained for \(s.pretrainingSteps) \
      steps on a random Markov chain over \(s.symbols) symbols, then fine-tuned for \(s.fineTuningSteps) steps on a \
      chain whose transitions are half those of the first and half those of a fresh one. The adapters have rank \
      \(s.rank) on every linear layer (`c_attn`, `c_proj`, `c_fc`); LoRA-GA uses its authors' defaults (rsLoRA, \
      the stable scale with γ = 16, \(s.gradientBatches) gradient batches); LoRA+ trains B at \
      \(formatted(Double(s.loraPlusRatio), digits: 0))× the rate of A. Each method's learning rate is the one of \
      \(s.learningRates.map { String(format: "%g", $0) }.joined(separator: ", ")) with the lowest final held-out \
      loss. The target is the best possible loss plus 5% of the pretrained model's gap to it \
      (\(formatted(result.pretrainedLossOnTask, digits: 4)) → \(formatted(result.bestPossibleLoss, digits: 4)), \
      target \(formatted(result.targetLoss, digits: 4))); the held-out loss is measured every \
      \(s.evaluationInterval) steps on \(s.heldOutTokens - 1) held-out tokens, so sampling noise of a few hundredths \
      moves every loss, and a final loss can even fall below the expected best.

      | method | learning rate | steps to target | final held-out loss | trainable parameters |
      |---|---|---|---|---|

      """
    for method in result.methods {
      let chosen = method.chosen
      let steps = chosen.stepsToReach(result.targetLoss).map(String.init) ?? "not reached"
      text += "| \(method.method.title) | \(String(format: "%g", chosen.learningRate)) | \(steps) "
        + "| \(formatted(chosen.finalLoss, digits: 4)) | \(method.trainableParameters) |\n"
    }
    return DemoReport.Section(
      title: "Fine-tuning", markdown: text, charts: [(chartFile, LoRAExperimentCommand.chart(result))])
  }
}
