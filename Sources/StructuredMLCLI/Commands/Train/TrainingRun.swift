import Distributed
import Foundation
import NN
import TensorCore

/// A run ready to train or evaluate: its configuration, model, batches and trainer, built and checked from
/// the command line (or a run folder) before any step runs.
struct TrainingRun {
  let configuration: RunConfiguration
  let trainer: Trainer

  /// The BLAS threads a run uses unless `--threads` says otherwise: one for a model with Monarch layers (whose
  /// blocks run on all cores through `parallelFor`), all cores for a dense model.
  static func defaultThreads(for model: ModelConfiguration) -> Int {
    switch model {
    case .mlp(let mlp): return mlp.hiddenLayers == .dense && mlp.outputLayer == .dense ? processorCount : 1
    case .languageModel(let lm): return lm.feedForwardLayers == .dense ? processorCount : 1
    }
  }

  /// Where the model's parameters come from.
  enum Start {
    /// A new run: initialized from the seed.
    case initialize
    /// A resumed run: parameters, moments and state from a run folder.
    case resume(URL)
    /// An evaluation: parameters from a run folder, on the held-out split or on all of `data`.
    case evaluate(URL, data: DataConfiguration?)
  }

  /// Builds the model and data of `configuration` and sets the parameters as `start` says, for one rank of
  /// `group` (the trainer trains data-parallel over the group).
  ///
  /// - Throws: ``CommandError/usage(_:)`` for sizes from the command line that do not fit (Monarch blocks,
  ///   data widths, more memory than the machine has), and ``CommandError/failure(_:)`` for data or checkpoint
  ///   files that cannot be used, a run folder's configuration included, each naming the file, tensor or
  ///   setting.
  static func prepare(
    _ configuration: RunConfiguration, start: Start, group: any ProcessGroup = SingleProcessGroup()
  ) throws -> TrainingRun {
    let training = configuration.training
    let components: RunComponents
    // Sizes a run folder chose are a problem with that file, not with how the command was called.
    let sizesFromAFile = if case .initialize = start { false } else { true }
    do {
      var evaluationData: DataConfiguration?
      if case .evaluate(_, let data) = start { evaluationData = data }
      components = try RunComponents(configuration, evaluationData: evaluationData)
    } catch let error as DataError {
      throw CommandError.failure("\(error)")
    } catch {
      throw sizesFromAFile ? CommandError.failure("\(error)") : CommandError.usage("\(error)")
    }
    let model = components.model
    var state: TrainingState?
    switch start {
    case .initialize:
      var generator = SeededGenerator(seed: training.seed)
      model.initialize(using: &generator)
    case .resume(let folder), .evaluate(let folder, _):
      do {
        let saved = try RunCheckpoint.readState(from: folder)
        let resuming = if case .resume = start { true } else { false }
        try RunCheckpoint.load(into: model.parameters, from: folder, moments: resuming, step: saved.step)
        state = resuming ? saved : nil
      } catch {
        throw CommandError.failure("\(error)")
      }
    }
    do {
      return TrainingRun(
        configuration: configuration,
        trainer: try Trainer(
          model: model, data: components.batches, configuration: training, state: state, group: group))
    } catch {
      throw sizesFromAFile ? CommandError.failure("\(error)") : CommandError.usage("\(error)")
    }
  }
}
