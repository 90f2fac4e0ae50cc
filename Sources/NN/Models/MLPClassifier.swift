import TensorCore

/// A multilayer perceptron classifier: feature rows → hidden layers (dense or Monarch) with GELU or ReLU →
/// class logits → softmax cross-entropy.
///
/// Parameters are `hidden.i.weight` and `hidden.i.bias` (or `hidden.i.w1`, `hidden.i.w2`, `hidden.i.bias` for
/// Monarch layers) and `output.*`, in PyTorch layouts; the linear modules are `hidden.i` and `output`, which
/// ``LoRAConfiguration``s may target. The forward and backward passes are wired by hand; the first layer
/// computes no input gradient.
public struct MLPClassifier: AdaptableModel {
  /// The configuration the model was built from.
  public let configuration: MLPConfiguration
  /// Every parameter of the model.
  public let parameters: ParameterStore
  /// The adapters the model was built with (none for a plain model).
  public let adapters: [LoRAConfiguration]
  /// The linear modules `hidden.0`, `hidden.1`, …, `output`.
  public let linearModules: [NamedLinearLayer]
  private let layers: [any LinearLayer]
  private let gelu = GELU()

  /// Declares the layers and allocates the store (all parameters zero until ``initialize(using:)``).
  ///
  /// - Parameters:
  ///   - configuration: The widths and layer kinds.
  ///   - adapters: LoRA plans: each wraps the modules its targets match with an adapter, and with any plan
  ///     every parameter but the adapters' factors is frozen.
  /// - Throws: ``TrainingError`` for a width below 1 or Monarch blocks that do not fit a layer (naming it); a
  ///   ``LoRAError`` naming the module for a rank outside `1...min(in, out)`, or
  ///   ``LoRAError/noTargetMatched(targets:candidates:)`` for targets that match no module.
  public init(configuration: MLPConfiguration, adapters: [LoRAConfiguration] = []) throws {
    self.configuration = configuration
    self.adapters = adapters
    let widths = configuration.widths
    var layout = ParameterLayout()
    var plan = try LoRAPlan(adapters)
    var layers: [any LinearLayer] = []
    for index in 0..<(widths.count - 1) {
      let isOutput = index == widths.count - 2
      let name = isOutput ? "output" : "hidden.\(index)"
      let base = try (isOutput ? configuration.outputLayer : configuration.hiddenLayers).makeLayer(
        name, inputFeatures: widths[index], outputFeatures: widths[index + 1], layout: &layout)
      layers.append(try plan.wrap(name, base, layout: &layout))
    }
    try plan.requireEveryTargetMatched()
    self.layers = layers
    linearModules = plan.modules
    parameters = try ParameterStore(layout: layout)
    plan.freezeBase(parameters)
  }

  /// The same configuration built with `adapters` instead, every parameter zero.
  ///
  /// - Throws: What ``init(configuration:adapters:)`` throws for `adapters`.
  public func adapted(with adapters: [LoRAConfiguration]) throws -> MLPClassifier {
    try MLPClassifier(configuration: configuration, adapters: adapters)
  }

  /// Initializes every layer in order from `generator` (adapters at PEFT's default, from their own seeds).
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
      let logits = forward(features, dropoutStep: nil, workspace: workspace).preactivations.last!
      return Tensor(
        shape: [logits.rows, logits.columns],
        scalars: Array(UnsafeBufferPointer(start: logits.base, count: logits.rows * logits.columns)))
    }
  }

  /// The forward pass over checked features: `activations[0]` is the input, `preactivations[i]` the output
  /// of layer `i`, `activations[i + 1] = act(preactivations[i])` for hidden layers; `dropoutStep` seeds the
  /// adapters' dropout.
  private func forward(
    _ features: Tensor<Float>, dropoutStep: Int?, workspace: Workspace
  ) -> (activations: [MutableMatrixView<Float>], preactivations: [MutableMatrixView<Float>]) {
    let widths = configuration.widths
    let rows = features.shape[0]
    let input = workspace.matrix(rows: rows, columns: widths[0])
    features.scalars.withUnsafeBufferPointer { input.base.update(from: $0.baseAddress!, count: rows * widths[0]) }
    var activations = [input]
    var preactivations: [MutableMatrixView<Float>] = []
    for (index, layer) in layers.enumerated() {
      let z = workspace.matrix(rows: rows, columns: widths[index + 1])
      layer.forward(
        activations[index].readOnly, into: z, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
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
    var dropoutStep: Int?
    if case .training(let step, _) = pass { dropoutStep = step }
    let (activations, preactivations) = forward(features, dropoutStep: dropoutStep, workspace: workspace)
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
          inputGradient: inputGradient, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
        if let inputGradient {
          let z = preactivations[index - 1]
          activationBackward(input: z.readOnly, outputGradient: inputGradient.view.readOnly, into: z)
        }
      }
    }
    return BatchLoss(loss: result.loss, countedTargets: result.countedTokens, correctPredictions: correct)
  }
}
