import TensorCore

/// Layer normalization over the features of each row, `y = (x − μ)/σ · γ + β` with `σ = √(var(x) + eps)`
/// (the biased variance, as PyTorch's `nn.LayerNorm`).
///
/// Parameters `weight` (γ, starts at 1) and `bias` (β, starts at 0), both `features` long, in group
/// ``ParameterGroup/undecayed``.
public struct LayerNorm: Sendable {
  /// What ``forward(_:into:parameters:workspace:)`` keeps for the backward pass: each row's mean and `1/σ`.
  public struct Statistics {
    /// The mean of each row.
    public let mean: UnsafeMutablePointer<Float>
    /// The reciprocal standard deviation `1/√(var + eps)` of each row.
    public let reciprocalStandardDeviation: UnsafeMutablePointer<Float>
  }

  /// The handle of γ.
  public let weight: ParameterID
  /// The handle of β, if the norm has one.
  public let bias: ParameterID?
  /// The width of a row.
  public let features: Int
  /// The constant added to the variance (PyTorch's default 1e-5; BERT uses 1e-12).
  public let epsilon: Float

  /// Declares `name.weight` (and `name.bias`) in `layout`.
  ///
  /// - Throws: ``TrainingError`` for a size below 1 or an epsilon that is not finite and positive, or a
  ///   ``ParameterError``.
  public init(
    _ name: String, features: Int, epsilon: Float = 1e-5, bias: Bool = true, layout: inout ParameterLayout
  ) throws {
    try requirePositive(features, "features", name)
    try requirePositive(Double(epsilon), "epsilon", name)
    self.features = features
    self.epsilon = epsilon
    weight = try layout.declare(ParameterLayout.qualified(name, "weight"), shape: [features], group: .undecayed)
    self.bias = bias
      ? try layout.declare(ParameterLayout.qualified(name, "bias"), shape: [features], group: .undecayed) : nil
  }

  /// γ = 1, β = 0.
  public func initialize(_ store: ParameterStore) {
    store.fill(weight, with: 1)
    if let bias { store.fill(bias, with: 0) }
  }

  /// Normalizes every row of `input` into `output`.
  ///
  /// - Returns: The statistics, in `workspace`.
  /// - Complexity: O(tokens·features), two passes per row.
  public func forward(
    _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore,
    workspace: Workspace
  ) -> Statistics {
    requireShape(input, rows: input.rows, columns: features, "input", "LayerNorm")
    requireShape(output.readOnly, rows: input.rows, columns: features, "output", "LayerNorm")
    let statistics = Statistics(
      mean: workspace.allocate(Float.self, count: input.rows),
      reciprocalStandardDeviation: workspace.allocate(Float.self, count: input.rows))
    let gamma = parameters.values + parameters[weight].offset
    let beta = bias.map { parameters.values + parameters[$0].offset }
    let n = features
    parallelFor(input.rows, minimumChunk: 16) { rows in
      for i in rows {
        let x = input.row(i)
        let y = output.row(i)
        var sum: Float = 0
        for j in 0..<n { sum += x[j] }
        let mean = sum / Float(n)
        var squares: Float = 0
        for j in 0..<n { squares += (x[j] - mean) * (x[j] - mean) }
        let rstd = 1 / (squares / Float(n) + epsilon).squareRoot()
        statistics.mean[i] = mean
        statistics.reciprocalStandardDeviation[i] = rstd
        if let beta {
          for j in 0..<n { y[j] = (x[j] - mean) * rstd * gamma[j] + beta[j] }
        } else {
          for j in 0..<n { y[j] = (x[j] - mean) * rstd * gamma[j] }
        }
      }
    }
    return statistics
  }

  /// The vector–Jacobian product. With `x̂ = (x − μ)/σ` and `g = dy·γ`:
  /// `dx = (g − mean(g) − x̂·mean(g·x̂)) / σ`, `dγ += Σ dy·x̂`, `dβ += Σ dy`.
  ///
  /// - Complexity: O(tokens·features).
  public func backward(
    input: MatrixView<Float>, statistics: Statistics, outputGradient: MatrixView<Float>,
    inputGradient: InputGradient?, parameters: ParameterStore
  ) {
    requireShape(outputGradient, rows: input.rows, columns: features, "output gradient", "LayerNorm")
    inputGradient?.requireShape(rows: input.rows, columns: features, "LayerNorm")
    let n = features
    let gamma = parameters.values + parameters[weight].offset
    let dGamma = parameters[weight].needsGradient ? parameters.gradients + parameters[weight].offset : nil
    let dBeta = bias.flatMap { parameters[$0].needsGradient ? parameters.gradients + parameters[$0].offset : nil }
    // Parameter gradients sum over rows: one sequential pass keeps the sums race-free.
    if dGamma != nil || dBeta != nil {
      for i in 0..<input.rows {
        let (x, dy) = (input.row(i), outputGradient.row(i))
        let (mean, rstd) = (statistics.mean[i], statistics.reciprocalStandardDeviation[i])
        for j in 0..<n {
          dGamma?[j] += dy[j] * (x[j] - mean) * rstd
          dBeta?[j] += dy[j]
        }
      }
    }
    guard let inputGradient else { return }
    parallelFor(input.rows, minimumChunk: 16) { rows in
      for i in rows {
        let (x, dy) = (input.row(i), outputGradient.row(i))
        let (mean, rstd) = (statistics.mean[i], statistics.reciprocalStandardDeviation[i])
        var meanG: Float = 0
        var meanGX: Float = 0
        for j in 0..<n {
          let g = dy[j] * gamma[j]
          meanG += g
          meanGX += g * (x[j] - mean) * rstd
        }
        meanG /= Float(n)
        meanGX /= Float(n)
        for j in 0..<n {
          let xHat = (x[j] - mean) * rstd
          inputGradient.store((dy[j] * gamma[j] - meanG - xHat * meanGX) * rstd, row: i, column: j)
        }
      }
    }
  }
}
