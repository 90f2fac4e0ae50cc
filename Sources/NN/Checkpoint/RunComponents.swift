/// The model and the batches of a run, built from its ``RunConfiguration`` and checked to fit each other.
///
/// The one place where a model configuration meets a data configuration: each architecture adds its case
/// here, with the check that its data suits it (feature width and classes for the classifier, the
/// vocabulary for a language model).
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
  ///   - evaluationData: A source to evaluate on instead of the configured data's held-out split: `.npy`
  ///     files for a classifier (every example), a text file for a language model (every byte).
  /// - Throws: ``DataError`` for data that cannot be loaded or split, naming the file or setting (a text too
  ///   short for one window of the context); ``TrainingError`` for model sizes that do not fit (naming the
  ///   layer), ``TrainingError/inputMismatch(layer:reason:)`` when the data's width, classes or
  ///   vocabulary do not fit the model, and ``TrainingError/batchDoesNotFit(layer:reason:)`` when one step's
  ///   activations would not fit in memory (checked before any data is loaded or parameter allocated).
  public init(_ configuration: RunConfiguration, evaluationData: DataConfiguration? = nil) throws {
    let training = configuration.training
    try Self.requireStepFitsInMemory(configuration.model, batchSize: training.batchSize)
    switch configuration.model {
    case .mlp(let mlp):
      let batches =
        if let evaluationData {
          try ClassificationBatches(
            evaluating: try evaluationData.makeClassificationDataset(), batchSize: training.batchSize)
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
    case .languageModel(let lm):
      try lm.validate()
      let (sequences, length) = (training.batchSize, lm.contextLength)
      let tokens =
        if let evaluationData {
          try TokenBatches(
            evaluating: try evaluationData.makeTokenDataset(heldOutFraction: training.heldOutFraction, evaluationOnly: true),
            sequences: sequences, sequenceLength: length)
        } else {
          try TokenBatches(
            dataset: try configuration.data.makeTokenDataset(heldOutFraction: training.heldOutFraction),
            sequences: sequences, sequenceLength: length, seed: training.seed)
        }
      guard lm.vocabularySize >= tokens.dataset.vocabularySize else {
        throw TrainingError.inputMismatch(
          layer: "model",
          reason: "its vocabulary has \(lm.vocabularySize) tokens but \(tokens.dataset.source) has \(tokens.dataset.vocabularySize)")
      }
      model = try LanguageModel(lm)
      batches = LanguageModelBatches(tokens)
    }
  }
}
