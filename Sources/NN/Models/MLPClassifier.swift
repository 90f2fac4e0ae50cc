import TensorCore

/// A multilayer perceptron classifier: feature rows → hidden layers (dense or Monarch) with GELU or ReLU →
/// class logits → softmax cross-entropy.
///
/// Parameters are `hidden.i.weight` and `hidden.i.bias` (or `hidden.i.w1`, `hidden.i.w2`, `hidden.i.bias` for
/// Monarch layers) and `output.*`, in PyTorch layouts. The forward and backward passes are wired by hand;
/// the first layer computes no input gradient.
public struct MLPClassifier: TrainableModel {
  /// The configuration the model was built from.
  public let configuration: MLPConfiguration
  /// Every parameter of the model.
  public let parameters: ParameterStore
  private let layers: [any LinearLayer]
  private let gelu = GELU()

  /// Declares the layers and allocates the store (all parameters zero until ``initialize(using:)``).
  ///
  /// - Throws: ``TrainingError`` for a width below 1 or Monarch blocks that do not fit a layer (naming it).
  public init(configuration: MLPConfiguration) throws {
    self.configuration = configuration
    let widths = configuration.widths
    var layout = ParameterLayout()
    var layers: [any LinearLayer] = []
    for index in 0..<(widths.count - 1) {
      let isOutput = index == widths.count - 2
      layers.append(
        try (isOutput ? configuration.outputLayer : configuration.hiddenLayers).makeLayer(
          isOutput ? "output" : "hidden.\(index)", inputFeatures: widths[index], outputFeatures: widths[index + 1], layout: &layout))
    }
    self.layers = layers
    parameters = try ParameterStore(layout: layout)
  }

  /// Initializes every layer in order from `generator`.
  public func initialize(using generator: inout SeededGenerator) {
    for layer in layers { layer.initialize(parameters, using: &generator) }
  }

  /// The class logits of feature rows (an evaluation forward pass).
  ///
  /// - Parameter features: `examples × inputFeatures`.
  /// - Returns: `examples × classes`.
  /// - Throws: ``TrainingError/inputMismatch(layer:reason:)`` for another feature width.
  public func logits(for features: Tensor<Float>) throws -> Tensor<Float> {
    guard features.shape.count == 2, features.shape[1] == configuration.inputFeatures else {
      throw TrainingError.inputMismatch(
        layer: "MLPClassifier", reason: "features have shape \(features.shape), expected [examples, \(configuration.inputFeatures)]")
    }
    // The views point into the workspace, so it must outlive the copy out of them.
    let workspace = Workspace()
    return withExtendedLifetime(workspace) {
      let logits = forward(features, workspace: workspace).preactivations.last!
      return Tensor(
        shape: [logits.rows, logits.columns],
        scalars: Array(UnsafeBufferPointer(start: logits.base, count: logits.rows * logits.columns)))
    }
  }

  /// The forward pass over checked features: `activations[0]` is the input, `preactivations[i]` the output
  /// of layer `i`, `activations[i + 1] = act(preactivations[i])` for hidden layers.
  private func forward(
    _ features: Tensor<Float>, workspace: Workspace
  ) -> (activations: [MutableMatrixView<Float>], preactivations: [MutableMatrixView<Float>]) {
    let widths = configuration.widths
    let rows = features.shape[0]
    let input = workspace.matrix(rows: rows, columns: widths[0])
    features.scalars.withUnsafeBufferPointer { input.base.update(from: $0.baseAddress!, count: rows * widths[0]) }
    var activations = [input]
    var preactivations: [MutableMatrixView<Float>] = []
    for (index, layer) in layers.enumerated() {
      let z = workspace.matrix(rows: rows, columns: widths[index + 1])
      layer.forward(activations[index].readOnly, into: z, parameters: parameters)
      preactivations.append(z)
      if index < layers.count - 1 {
        let a = workspace.matrix(rows: rows, columns: widths[index + 1])
        activate(z.readOnly, into: a)
        activations.append(a)
      }
    }
    return (activations, preactivations)
  }

  private func activate(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>) {
    switch configuration.activation {
    case .gelu: gelu.forward(input, into: output)
    case .relu: ReLU().forward(input, into: output)
    }
  }

  private func activationBackward(input: MatrixView<Float>, outputGradient: MatrixView<Float>, into: MutableMatrixView<Float>) {
    switch configuration.activation {
    case .gelu: gelu.backward(input: input, outputGradient: outputGradient, inputGradient: .overwrite(into))
    case .relu: ReLU().backward(input: input, outputGradient: outputGradient, inputGradient: .overwrite(into))
    }
  }

  /// Runs the classifier over a batch of feature rows and returns the mean cross-entropy and the number of
  /// rows whose most likely class (the first, on ties) is the target.
  ///
  /// - Throws: ``TrainingError/inputMismatch(layer:reason:)`` for token inputs, a feature width other than
  ///   ``MLPConfiguration/inputFeatures`` or a target count other than the row count;
  ///   ``TrainingError/tokenOutOfRange(layer:position:token:vocabularySize:)`` for a class outside the model's.
  public func loss(on batch: Batch, pass: Pass, workspace: Workspace) throws -> BatchLoss {
    guard case .features(let features) = batch.inputs else {
      throw TrainingError.inputMismatch(layer: "MLPClassifier", reason: "expects feature rows, got tokens")
    }
    let widths = configuration.widths
    guard features.shape.count == 2, features.shape[1] == widths[0] else {
      throw TrainingError.inputMismatch(
        layer: "MLPClassifier", reason: "features have shape \(features.shape), expected [examples, \(widths[0])]")
    }
    let rows = features.shape[0]
    guard batch.targets.count == rows else {
      throw TrainingError.inputMismatch(
        layer: "MLPClassifier", reason: "\(batch.targets.count) targets for \(rows) feature rows")
    }
    let (activations, preactivations) = forward(features, workspace: workspace)
    let logits = preactivations[preactivations.count - 1]
    let crossEntropy = CrossEntropy()
    var correct = 0
    for i in 0..<rows where batch.targets[i] != crossEntropy.ignoreIndex {
      let row = logits.row(i)
      var best = 0
      for j in 1..<configuration.classes where row[j] > row[best] { best = j }
      if Int32(best) == batch.targets[i] { correct += 1 }
    }
    let result: CrossEntropy.Result
    switch pass {
    case .evaluation:
      result = try batch.targets.withUnsafeBufferPointer {
        try crossEntropy.evaluate(logits: logits.readOnly, targets: $0, logitsGradient: nil, workspace: workspace)
      }
    case .training(_, let gradientScale):
      result = try batch.targets.withUnsafeBufferPointer {
        try crossEntropy.evaluate(
          logits: logits.readOnly, targets: $0, logitsGradient: logits, gradientScale: gradientScale,
          workspace: workspace)
      }
      // Backward, in reverse; preactivations[i] is reused for ∂L/∂z[i].
      for index in stride(from: layers.count - 1, through: 0, by: -1) {
        var inputGradient: InputGradient?
        if index > 0 {
          inputGradient = .overwrite(workspace.matrix(rows: rows, columns: widths[index]))
        }
        layers[index].backward(
          input: activations[index].readOnly, outputGradient: preactivations[index].readOnly,
          inputGradient: inputGradient, parameters: parameters, workspace: workspace)
        if let inputGradient {
          let z = preactivations[index - 1]
          activationBackward(input: z.readOnly, outputGradient: inputGradient.view.readOnly, into: z)
        }
      }
    }
    return BatchLoss(loss: result.loss, countedTargets: result.countedTokens, correctPredictions: correct)
  }
}
