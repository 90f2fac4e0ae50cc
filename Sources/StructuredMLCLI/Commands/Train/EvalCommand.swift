import Foundation
import NN
import TensorCore
import TensorFiles

/// `structml eval`: evaluates a run folder's model on its held-out split, or on other data (`.npy` files for a
/// classifier, a UTF-8 text for a language model).
enum EvalCommand {
  static let command = Command(
    path: ["eval"],
    summary: "evaluate a trained run's model on its held-out split (or on all of other data)",
    options: [
      .inputFolder("checkpoint", "RUN_DIR", "the run folder written by 'structml train'", files: RunCheckpoint.files),
      .input("data", "FILE", "data to evaluate on instead of the held-out split: .npy features (classifier) or a UTF-8 text (language model)"),
      .input("labels", "FILE", ".npy integer labels (with --data, classifier)"),
      .output("dump-logits", "FILE", "also write the first evaluation batch's inputs and logits to FILE (.safetensors: inputs, logits)"),
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
    if arguments.string("dump-logits") != nil {
      try OutputPaths.write("dump-logits", of: arguments) { url, inputs in
        try dumpLogits(run.trainer, to: url, protecting: inputs)
      }
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

  /// Writes the first evaluation batch's inputs (`inputs`: tokens as I64 `sequences × length`, or features
  /// F32 `examples × features`) and the model's logits (`logits`, F32 `rows × classes`) as a `.safetensors`
  /// file, for checking the model against another implementation.
  static func dumpLogits(_ trainer: Trainer, to url: URL, protecting protected: [URL]) throws {
    guard let batch = trainer.evaluationBatches.first else {
      throw CommandError.failure("option '--dump-logits': there is no evaluation batch to score")
    }
    let tensors: [(String, TensorData)]
    do {
      switch (batch.inputs, trainer.model) {
      case (.tokens(let tokens, let sequences), let model as LanguageModel):
        let bytes = tokens.map { Int64($0) }.withUnsafeBytes { [UInt8]($0) }
        tensors = [
          ("inputs", try TensorData(dtype: .int64, shape: [sequences, tokens.count / sequences], bytes: bytes)),
          ("logits", try TensorData(try model.logits(for: tokens, sequences: sequences))),
        ]
      case (.features(let features), let model as MLPClassifier):
        tensors = [("inputs", try TensorData(features)), ("logits", try TensorData(try model.logits(for: features)))]
      default:
        throw CommandError.failure("option '--dump-logits': the model does not read this data")
      }
      try SafetensorsWriter.write(tensors, to: url, protectedInputs: protected)
    } catch let error as CommandError {
      throw error
    } catch {
      throw CommandError.failure("option '--dump-logits': cannot write \(url.path): \(error)")
    }
  }
}
