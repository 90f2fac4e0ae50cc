import Foundation
import NN

/// What `structml lora finetune` reports: the method, the adapter's rank and scale, its targets and size,
/// and the loss before and after (held-out when the data holds examples out, else training).
struct LoRAFinetuneReport {
  let json: JSONValue
  let text: String

  init(fineTuning: LoRAFineTuning, adapter: PEFTAdapter, trainer: Trainer, seconds: Double, output: URL) {
    let plan = fineTuning.configuration
    let state = trainer.state
    let initial = state.evaluations.first?.loss ?? state.trainingLosses.first
    let final = state.evaluations.last?.loss ?? state.trainingLosses.last
    let scale = (try? plan.scaling(for: fineTuning.targetModules.first ?? "")).map(\.scale)
    let targets = fineTuning.targetModules
    json = .object([
      ("init", .string(fineTuning.initialization.name)),
      ("rank", .int(plan.rank)),
      ("alpha", .number(plan.alpha)),
      ("scale", scale.map { .number($0) } ?? .null),
      ("use_rslora", .bool(plan.useRSLoRA)),
      ("targets", .array(targets.map { .string($0) })),
      ("trainable_parameters", .int(fineTuning.model.parameters.trainableParameterCount)),
      ("learning_rate", .number(Double(trainer.configuration.learningRate))),
      ("initial_loss", initial.map { .number($0) } ?? .null),
      ("final_loss", final.map { .number($0) } ?? .null),
      ("final_train_loss", state.trainingLosses.last.map { .number($0) } ?? .null),
      ("steps", .int(state.step)),
      ("seconds", .number(seconds)),
      ("adapter_rank", .int(adapter.configuration.rank)),
      ("adapter_alpha", .number(adapter.configuration.alpha)),
      ("output", .string(output.path)),
    ])
    func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
    text = [
      "\(fineTuning.initialization.name) rank \(plan.rank), scale \(number(scale)), on \(targets.count) modules "
        + "(\(fineTuning.model.parameters.trainableParameterCount) trainable parameters)",
      "loss \(number(initial)) → \(number(final)) in \(state.step) steps (\(String(format: "%.2f", seconds)) s); "
        + "wrote a rank-\(adapter.configuration.rank) PEFT adapter to " + TerminalText.escaped(output.path),
    ].joined(separator: "\n")
  }
}
