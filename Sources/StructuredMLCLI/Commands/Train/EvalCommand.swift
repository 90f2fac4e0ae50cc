import Foundation
import NN
import TensorCore

/// `structml eval`: evaluates a run folder's model on its held-out split, or on other data (`.npy` files for a
/// classifier, a UTF-8 text for a language model).
enum EvalCommand {
  static let command = Command(
    path: ["eval"],
    summary: "evaluate a trained run's model on its held-out split (or on all of other data)",
    options: [
      .value("checkpoint", "RUN_DIR", "the run folder written by 'structml train'"),
      .value("data", "FILE", "data to evaluate on instead of the held-out split: .npy features (classifier) or a UTF-8 text (language model)"),
      .value("labels", "FILE", ".npy integer labels (with --data, classifier)"),
    ]
  ) { arguments, console in
    let folder = URL(fileURLWithPath: try arguments.requiredString("checkpoint"))
    let configuration: RunConfiguration
    do {
      configuration = try RunCheckpoint.readConfiguration(from: folder)
    } catch {
      throw CommandError.failure("\(error)")
    }
    var data: DataConfiguration?
    switch (configuration.model, arguments.string("data"), arguments.string("labels")) {
    case (.languageModel, let file?, nil): data = .text(file: file)
    case (.languageModel, _, .some): throw CommandError.usage("option '--labels' is for a classifier; \(folder.path) holds a language model")
    case (.mlp, let features?, let labels?): data = .npy(features: features, labels: labels)
    case (.mlp, .some, nil): throw CommandError.usage("option '--data' needs '--labels'")
    case (.mlp, nil, .some): throw CommandError.usage("option '--labels' needs '--data'")
    case (_, nil, nil): break
    }
    let run = try TrainingRun.prepare(configuration, start: .evaluate(folder, data: data))
    let evaluation: TrainingState.Evaluation?
    do {
      evaluation = try run.trainer.evaluate()
    } catch {
      throw CommandError.failure("\(error)")
    }
    guard let evaluation else {
      throw CommandError.failure("\(folder.path): the run holds no examples out (held_out_fraction 0); pass --data and --labels")
    }
    let report = JSONValue.object([
      ("loss", .number(evaluation.loss)), ("accuracy", .number(evaluation.accuracy)),
      ("best_possible_loss", data == nil ? run.trainer.bestPossibleLoss.map { .number($0) } ?? .null : .null),
      ("parameters", .int(run.trainer.model.parameters.parameterCount)),
    ])
    if arguments.flag("json") {
      console.print(report.serialized())
    } else {
      console.print(String(format: "loss %.4f, accuracy %.4f", evaluation.loss, evaluation.accuracy))
    }
  }
}
