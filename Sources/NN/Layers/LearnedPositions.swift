import TensorCore

/// Learned absolute position embeddings (GPT-2's `wpe`): `weight` of shape `maximumLength × features`
/// (group ``ParameterGroup/undecayed``), row `t` added to every token at position `t`.
public struct LearnedPositions: Sendable {
  /// The handle of the table.
  public let weight: ParameterID
  /// The longest sequence the table covers.
  public let maximumLength: Int
  /// The width of each vector.
  public let features: Int
  private let name: String

  /// Declares `name.weight` in `layout`.
  ///
  /// - Throws: ``TrainingError/nonPositiveSize(layer:name:value:)`` or a ``ParameterError``.
  public init(_ name: String, maximumLength: Int, features: Int, layout: inout ParameterLayout) throws {
    try requirePositive(maximumLength, "maximumLength", name)
    try requirePositive(features, "features", name)
    self.name = name
    self.maximumLength = maximumLength
    self.features = features
    weight = try layout.declare(
      ParameterLayout.qualified(name, "weight"), shape: [maximumLength, features], group: .undecayed)
  }

  /// Adds row `r % sequenceLength` of the table to row `r` of `hidden`, in place.
  ///
  /// - Throws: ``TrainingError/sequenceTooLong(layer:length:maximum:)``.
  /// - Complexity: O(elements).
  public func add(to hidden: MutableMatrixView<Float>, sequenceLength: Int, parameters: ParameterStore) throws(TrainingError) {
    try check(hidden.readOnly, sequenceLength)
    let table = parameters.valueMatrix(weight).readOnly
    for r in 0..<hidden.rows { axpy(count: features, alpha: 1, table.row(r % sequenceLength), hidden.row(r)) }
  }

  /// Accumulates `dW[t] += Σ_b dy[b·T + t]` when the table needs a gradient.
  ///
  /// - Throws: ``TrainingError/sequenceTooLong(layer:length:maximum:)``.
  /// - Complexity: O(elements).
  public func backward(outputGradient: MatrixView<Float>, sequenceLength: Int, parameters: ParameterStore) throws(TrainingError) {
    try check(outputGradient, sequenceLength)
    guard parameters[weight].needsGradient else { return }
    let gradient = parameters.gradientMatrix(weight)
    for r in 0..<outputGradient.rows {
      axpy(count: features, alpha: 1, outputGradient.row(r), gradient.row(r % sequenceLength))
    }
  }

  private func check(_ x: MatrixView<Float>, _ sequenceLength: Int) throws(TrainingError) {
    guard sequenceLength <= maximumLength else {
      throw .sequenceTooLong(layer: name, length: sequenceLength, maximum: maximumLength)
    }
    requireShape(x, rows: x.rows, columns: features, "hidden", name)
    precondition(sequenceLength > 0 && x.rows % sequenceLength == 0, "\(name): \(x.rows) rows are not whole sequences")
  }
}
