/// The model and the batches of a run, built from its ``RunConfiguration`` and checked to fit each other.
///
/// The one place where a model configuration meets a data configuration: each architecture adds its case
/// here, with the check that its data suits it (feature width and classes for the classifier).
public struct RunComponents {
  /// The model, every parameter zero (initialize it or load a checkpoint).
  public let model: any TrainableModel
  /// The training and held-out batches.
  public let batches: any BatchProvider

  /// Builds the batches (the configured data split into training and held-out examples, or all of
  /// `evaluationData` held out) and the model.
  ///
  /// - Parameters:
  ///   - configuration: The run.
  ///   - evaluationData: Examples to evaluate on instead of the configured data's held-out split.
  /// - Throws: ``DataError`` for data that cannot be loaded or split, naming the file or setting;
  ///   ``TrainingError`` for model sizes that do not fit (naming the layer), or
  ///   ``TrainingError/inputMismatch(layer:reason:)`` when the data's width or classes do not fit the model.
  public init(_ configuration: RunConfiguration, evaluationData: ClassificationDataset? = nil) throws {
    let training = configuration.training
    switch configuration.model {
    case .mlp(let mlp):
      let batches =
        if let evaluationData {
          try ClassificationBatches(evaluating: evaluationData, batchSize: training.batchSize)
        } else {
          try configuration.data.makeClassificationBatches(
            batchSize: training.batchSize, heldOutFraction: training.heldOutFraction, seed: training.seed)
        }
      let dataset = batches.dataset
      guard mlp.inputFeatures == dataset.featureCount else {
        throw TrainingError.inputMismatch(
          layer: "model", reason: "it reads \(mlp.inputFeatures) features but \(dataset.source) has \(dataset.featureCount)")
      }
      guard mlp.classes >= dataset.classes else {
        throw TrainingError.inputMismatch(
          layer: "model", reason: "it has \(mlp.classes) classes but \(dataset.source) has labels up to \(dataset.classes - 1)")
      }
      model = try MLPClassifier(configuration: mlp)
      self.batches = batches
    }
  }
}
