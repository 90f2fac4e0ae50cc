import TensorCore

/// A model that a training loop can drive without knowing its architecture.
///
/// The model owns a ``ParameterStore`` (every parameter under its PyTorch name) and wires its layers' forward
/// and backward passes by hand; the loop zeroes gradients, calls ``loss(on:pass:workspace:)`` once per
/// micro-batch, clips, and updates the store with an optimizer.
public protocol TrainableModel {
  /// Every parameter of the model, with gradients and optimizer moments.
  var parameters: ParameterStore { get }

  /// Writes the model's initial parameter values, drawing from `generator` only.
  func initialize(using generator: inout SeededGenerator)

  /// Runs the model over `batch` and returns the loss; a training pass also runs the backward pass.
  ///
  /// - Parameters:
  ///   - batch: Inputs and targets that fit the model (sizes, vocabulary, features).
  ///   - pass: ``Pass/evaluation`` or ``Pass/training(step:gradientScale:)``.
  ///   - workspace: Scratch for activations; the caller resets it between passes.
  /// - Throws: ``TrainingError`` for a batch that does not fit the model.
  func loss(on batch: Batch, pass: Pass, workspace: Workspace) throws -> BatchLoss
}
