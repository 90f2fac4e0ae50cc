import TensorCore

/// A fully connected layer `y = x Wᵀ + b`, with `W` stored `out × in` as PyTorch's `nn.Linear` does.
///
/// Parameters: `weight` (`outputFeatures × inputFeatures`, group ``ParameterGroup/decayed``) and, when asked,
/// `bias` (`outputFeatures`, group ``ParameterGroup/undecayed``). Inputs are `tokens × inputFeatures` views.
public struct Linear: Sendable {
  /// The handle of the weight.
  public let weight: ParameterID
  /// The handle of the bias, if the layer has one.
  public let bias: ParameterID?
  /// The width of the input.
  public let inputFeatures: Int
  /// The width of the output.
  public let outputFeatures: Int

  /// Declares the layer's parameters `name.weight` (and `name.bias`) in `layout`.
  ///
  /// - Throws: ``TrainingError/nonPositiveSize(layer:name:value:)`` for a size below 1, or a
  ///   ``ParameterError`` for a name already declared.
  public init(
    _ name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true, layout: inout ParameterLayout
  ) throws {
    try requirePositive(inputFeatures, "inputFeatures", name)
    try requirePositive(outputFeatures, "outputFeatures", name)
    self.inputFeatures = inputFeatures
    self.outputFeatures = outputFeatures
    weight = try layout.declare(
      ParameterLayout.qualified(name, "weight"), shape: [outputFeatures, inputFeatures], group: .decayed)
    self.bias = bias
      ? try layout.declare(ParameterLayout.qualified(name, "bias"), shape: [outputFeatures], group: .undecayed) : nil
  }

  /// PyTorch's default initialization: weight and bias uniform in `[-1/√in, 1/√in)`.
  public func initialize(_ store: ParameterStore, using generator: inout SeededGenerator) {
    let bound = 1 / Float(inputFeatures).squareRoot()
    store.fillUniform(weight, bound: bound, using: &generator)
    if let bias { store.fillUniform(bias, bound: bound, using: &generator) }
  }

  /// Computes `output = input Wᵀ + b`.
  ///
  /// - Parameters:
  ///   - input: `tokens × inputFeatures`.
  ///   - output: `tokens × outputFeatures`, overwritten; must not overlap `input`.
  ///   - parameters: The store holding the weight and bias.
  /// - Complexity: O(tokens·in·out), one `sgemm`.
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore) {
    requireShape(input, rows: input.rows, columns: inputFeatures, "input", "Linear")
    requireShape(output.readOnly, rows: input.rows, columns: outputFeatures, "output", "Linear")
    var beta: Float = 0
    if let bias {
      let b = parameters.values + parameters[bias].offset
      for i in 0..<output.rows { output.row(i).update(from: b, count: outputFeatures) }
      beta = 1
    }
    gemm(input, parameters.valueMatrix(weight).readOnly, output, transposeB: true, beta: beta)
  }

  /// The vector–Jacobian product: accumulates `dW += dyᵀ x` and `db += Σ dy` (for parameters that need a
  /// gradient) and writes `dx = dy W` when asked.
  ///
  /// - Parameters:
  ///   - input: What ``forward(_:into:parameters:)`` received.
  ///   - outputGradient: `tokens × outputFeatures`.
  ///   - inputGradient: Where `dx` goes, or `nil` to skip it.
  ///   - parameters: The store whose gradients receive `dW` and `db`.
  /// - Complexity: O(tokens·in·out) per gradient computed (one `sgemm` each).
  public func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore
  ) {
    requireShape(outputGradient, rows: input.rows, columns: outputFeatures, "output gradient", "Linear")
    if parameters[weight].needsGradient {
      gemm(outputGradient, input, parameters.gradientMatrix(weight), transposeA: true, beta: 1)
    }
    if let bias, parameters[bias].needsGradient {
      let db = parameters.gradients + parameters[bias].offset
      for i in 0..<outputGradient.rows {
        let row = outputGradient.row(i)
        for j in 0..<outputFeatures { db[j] += row[j] }
      }
    }
    if let inputGradient {
      inputGradient.requireShape(rows: input.rows, columns: inputFeatures, "Linear")
      gemm(
        outputGradient, parameters.valueMatrix(weight).readOnly, inputGradient.view, beta: inputGradient.beta)
    }
  }
}
