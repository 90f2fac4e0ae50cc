import TensorCore

/// A lookup table from token ids to vectors, `weight` of shape `vocabularySize × features` (PyTorch's
/// `nn.Embedding`; GPT-2's `wte`), in group ``ParameterGroup/undecayed``.
///
/// With a tied output head (GPT-2), the same table also maps hidden states to logits,
/// `logits = h Wᵀ`: ``outputLogits(_:into:parameters:)`` and its backward accumulate into the same gradient.
public struct Embedding: Sendable {
  /// The handle of the table.
  public let weight: ParameterID
  /// The number of token ids.
  public let vocabularySize: Int
  /// The width of each vector.
  public let features: Int
  private let name: String

  /// Declares `name.weight` in `layout`.
  ///
  /// - Throws: ``TrainingError/nonPositiveSize(layer:name:value:)`` or a ``ParameterError``.
  public init(_ name: String, vocabularySize: Int, features: Int, layout: inout ParameterLayout) throws {
    try requirePositive(vocabularySize, "vocabularySize", name)
    try requirePositive(features, "features", name)
    self.name = name
    self.vocabularySize = vocabularySize
    self.features = features
    weight = try layout.declare(
      ParameterLayout.qualified(name, "weight"), shape: [vocabularySize, features], group: .undecayed)
  }

  /// PyTorch's default initialization: standard normal (GPT-2 uses `fillNormal` with 0.02 instead).
  public func initialize(_ store: ParameterStore, using generator: inout SeededGenerator) {
    store.fillNormal(weight, standardDeviation: 1, using: &generator)
  }

  /// Copies row `tokens[i]` of the table into row `i` of `output`.
  ///
  /// - Throws: ``TrainingError/tokenOutOfRange(layer:position:token:vocabularySize:)`` before writing anything.
  /// - Complexity: O(tokens·features).
  public func forward(
    _ tokens: UnsafeBufferPointer<Int32>, into output: MutableMatrixView<Float>, parameters: ParameterStore
  ) throws(TrainingError) {
    requireShape(output.readOnly, rows: tokens.count, columns: features, "output", "Embedding")
    try validate(tokens)
    let table = parameters.valueMatrix(weight)
    for (i, token) in tokens.enumerated() { output.row(i).update(from: table.row(Int(token)), count: features) }
  }

  /// Accumulates `dW[tokens[i]] += dy[i]` when the table needs a gradient.
  ///
  /// - Complexity: O(tokens·features).
  public func backward(
    _ tokens: UnsafeBufferPointer<Int32>, outputGradient: MatrixView<Float>, parameters: ParameterStore
  ) {
    guard parameters[weight].needsGradient else { return }
    requireShape(outputGradient, rows: tokens.count, columns: features, "output gradient", "Embedding")
    let gradient = parameters.gradientMatrix(weight)
    for (i, token) in tokens.enumerated() {
      precondition(token >= 0 && Int(token) < vocabularySize, "Embedding.backward: token \(token) was not validated")
      axpy(count: features, alpha: 1, outputGradient.row(i), gradient.row(Int(token)))
    }
  }

  /// The tied output head: `logits = hidden Wᵀ`, `tokens × vocabularySize`.
  ///
  /// - Complexity: O(tokens·features·vocabularySize), one `sgemm`.
  public func outputLogits(
    _ hidden: MatrixView<Float>, into logits: MutableMatrixView<Float>, parameters: ParameterStore
  ) {
    requireShape(hidden, rows: hidden.rows, columns: features, "hidden", "Embedding head")
    requireShape(logits.readOnly, rows: hidden.rows, columns: vocabularySize, "logits", "Embedding head")
    gemm(hidden, parameters.valueMatrix(weight).readOnly, logits, transposeB: true)
  }

  /// The backward of ``outputLogits(_:into:parameters:)``: `dW += dLᵀ h`, and `dh = dL W` when asked.
  ///
  /// - Complexity: O(tokens·features·vocabularySize) per gradient computed.
  public func outputLogitsBackward(
    hidden: MatrixView<Float>, logitsGradient: MatrixView<Float>, hiddenGradient: InputGradient?,
    parameters: ParameterStore
  ) {
    requireShape(logitsGradient, rows: hidden.rows, columns: vocabularySize, "logits gradient", "Embedding head")
    if parameters[weight].needsGradient {
      gemm(logitsGradient, hidden, parameters.gradientMatrix(weight), transposeA: true, beta: 1)
    }
    if let hiddenGradient {
      hiddenGradient.requireShape(rows: hidden.rows, columns: features, "Embedding head")
      gemm(logitsGradient, parameters.valueMatrix(weight).readOnly, hiddenGradient.view, beta: hiddenGradient.beta)
    }
  }

  private func validate(_ tokens: UnsafeBufferPointer<Int32>) throws(TrainingError) {
    for (position, token) in tokens.enumerated() where token < 0 || Int(token) >= vocabularySize {
      throw .tokenOutOfRange(layer: name, position: position, token: token, vocabularySize: vocabularySize)
    }
  }
}
