import Foundation
import NN
import TensorCore

/// `structml eval`: evaluates a run folder's model on its held-out split, or on other `.npy` data.
enum EvalCommand {
  static let command = Command(
    path: ["eval"],
    summary: "evaluate a trained run's model on its held-out split (or on all of other .npy data)",
    options: [
      .value("checkpoint", "RUN_DIR", "the run folder written by 'structml train'"),
      .value("data", "FILE", ".npy features to evaluate on instead of the held-out split"),
      .value("labels", "FILE", ".npy integer labels (with --data)"),
    ]
  ) { arguments, console in
    let folder = URL(fileURLWithPath: try arguments.requiredString("checkpoint"))
    var dataset: ClassificationDataset?
    switch (arguments.string("data"), arguments.string("labels")) {
    case (let features?, let labels?):
      do {
        dataset = try ClassificationDataset(featuresFile: features, labelsFile: labels)
      } catch {
        throw CommandError.failure("\(error)")
      }
    case (.some, nil): throw CommandError.usage("option '--data' needs '--labels'")
    case (nil, .some): throw CommandError.usage("option '--labels' needs '--data'")
    case (nil, nil): break
    }
    let configuration: RunConfiguration
    do {
      configuration = try RunCheckpoint.readConfiguration(from: folder)
    } catch {
      throw CommandError.failure("\(error)")
    }
    let run = try TrainingRun.prepare(configuration, start: .evaluate(folder, dataset: dataset))
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
      ("best_possible_loss", dataset == nil ? run.trainer.bestPossibleLoss.map { .number($0) } ?? .null : .null),
      ("parameters", .int(run.trainer.model.parameters.parameterCount)),
    ])
    if arguments.flag("json") {
      console.print(report.serialized())
    } else {
      console.print(String(format: "loss %.4f, accuracy %.4f", evaluation.loss, evaluation.accuracy))
    }
  }
}
