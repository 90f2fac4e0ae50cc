import Foundation
import NN
import TensorFiles

/// `structml lora experiment`: full fine-tuning, LoRA, LoRA-GA, PiSSA and LoRA+ on the built-in shifted task
/// (``LoRAExperiment``): the learning rate each method's sweep picked, the steps it needs to reach the target
/// loss and its final held-out loss, as a table or JSON, and the loss curves as an SVG chart.
enum LoRAExperimentCommand {
  static let command = Command(
    path: ["lora", "experiment"],
    summary: "fine-tuning on a shifted task: full, LoRA, LoRA-GA, PiSSA and LoRA+ at equal rank and steps",
    options: [
      .value("steps", "N", "fine-tuning steps of every method (default 100)"),
      .value("rank", "R", "the adapters' rank (default 4)"),
      .output("chart", "FILE.svg", "write the chosen runs' held-out loss curves as an SVG chart"),
    ]
  ) { arguments, console in
    var settings = LoRAExperiment.Settings.standard
    settings.fineTuningSteps = try arguments.int("steps", default: settings.fineTuningSteps, in: 10...100_000)!
    settings.rank = try arguments.int("rank", default: settings.rank, in: 1...settings.width / 2)!
    settings.alpha = Double(2 * settings.rank)
    let json = arguments.flag("json")
    let result = try LoRAExperiment.run(settings) { line in if !json { console.print("lora experiment: \(line)") } }
    if arguments.string("chart") != nil {
      try OutputPaths.write("chart", of: arguments) { url, inputs in
        try AtomicFile.write(Data(chart(result).render().utf8), to: url, protectedInputs: inputs)
      }
    }
    console.print(json ? report(result).serialized() : table(result))
  }

  /// The JSON report: `target_loss`, and per method `name`, `learning_rate`, `steps_to_target` (null when
  /// never reached) and `final_loss`, with the sweep and the setting that produced them.
  static func report(_ result: LoRAExperiment.Result) -> JSONValue {
    let target = result.targetLoss
    return .object([
      ("target_loss", .number(target)), ("best_possible_loss", .number(result.bestPossibleLoss)),
      ("pretrained_loss", .number(result.pretrainedLossOnTask)), ("rank", .int(result.settings.rank)),
      ("steps", .int(result.settings.fineTuningSteps)),
      ("learning_rates", .array(result.settings.learningRates.map { .number(Double($0)) })),
      (
        "methods",
        .array(
          result.methods.map { method in
            let chosen = method.chosen
            return .object([
              ("name", .string(method.method.rawValue)), ("learning_rate", .number(Double(chosen.learningRate))),
              ("steps_to_target", chosen.stepsToReach(target).map { .int($0) } ?? .null),
              ("final_loss", .number(chosen.finalLoss)), ("trainable_parameters", .int(method.trainableParameters)),
              ("sweep_final_losses", .array(method.sweep.map { .number($0.finalLoss) })),
            ])
          })
      ),
    ])
  }

  /// The report as a table, with the setting above it.
  static func table(_ result: LoRAExperiment.Result) -> String {
    let s = result.settings
    var lines = [
      "Transformer LM (width \(s.width), \(s.layers) blocks) pretrained \(s.pretrainingSteps) steps on one Markov chain "
        + "of \(s.symbols) symbols, fine-tuned \(s.fineTuningSteps) steps on a chain half shifted;",
      String(
        format: "held-out loss: pretrained %.4f, best possible %.4f, target %.4f; rank %d; learning rates swept: %@",
        result.pretrainedLossOnTask, result.bestPossibleLoss, result.targetLoss, s.rank,
        s.learningRates.map { String(format: "%g", $0) }.joined(separator: ", ")),
      "",
      "method             learning rate  steps to target  final loss  trainable parameters",
    ]
    for method in result.methods {
      let chosen = method.chosen
      let steps = chosen.stepsToReach(result.targetLoss).map(String.init) ?? "not reached"
      lines.append(
        method.method.title.padding(toLength: 19, withPad: " ", startingAt: 0)
          + String(format: "%-15g", chosen.learningRate) + steps.padding(toLength: 17, withPad: " ", startingAt: 0)
          + String(format: "%-12.4f%d", chosen.finalLoss, method.trainableParameters))
    }
    return lines.joined(separator: "\n")
  }

  /// The held-out loss against steps of each method's chosen run, with the target and the best possible loss.
  static func chart(_ result: LoRAExperiment.Result) -> SVGChart {
    var series = result.methods.map { method in
      SVGChart.Series(
        name: "\(method.method.title) (lr \(String(format: "%g", method.chosen.learningRate)))",
        points: method.chosen.points.map { (Double($0.step), $0.loss) })
    }
    let end = Double(result.settings.fineTuningSteps)
    series.append(SVGChart.Series(name: "target", points: [(0, result.targetLoss), (end, result.targetLoss)]))
    series.append(SVGChart.Series(name: "best possible", points: [(0, result.bestPossibleLoss), (end, result.bestPossibleLoss)]))
    return SVGChart(
      title: "Fine-tuning on a shifted task (rank \(result.settings.rank))", xLabel: "step",
      yLabel: "held-out cross-entropy (nats)", series: series)
  }
}
