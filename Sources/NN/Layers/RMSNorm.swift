import TensorCore

/// Root-mean-square normalization, `y = x / √(mean(x²) + eps) · γ` (Zhang and Sennrich 2019; Llama's
/// `RMSNorm`), with `weight` γ (`features`, starts at 1, group ``ParameterGroup/undecayed``).
public struct RMSNorm: Sendable {
  /// The handle of γ.
  public let weight: ParameterID
  /// The width of a row.
  public let features: Int
  /// The constant added to the mean square.
  public let epsilon: Float

  /// Declares `name.weight` in `layout`.
  ///
  /// - Throws: ``TrainingError`` for a size below 1 or an epsilon that is not finite and positive, or a
  ///   ``ParameterError``.
  public init(_ name: String, features: Int, epsilon: Float = 1e-6, layout: inout ParameterLayout) throws {
    try requirePositive(features, "features", name)
    try requirePositive(Double(epsilon), "epsilon", name)
    self.features = features
    self.epsilon = epsilon
    weight = try layout.declare(ParameterLayout.qualified(name, "weight"), shape: [features], group: .undecayed)
  }

  /// γ = 1.
  public func initialize(_ store: ParameterStore) { store.fill(weight, with: 1) }

  /// Normalizes every row of `input` into `output`.
  ///
  /// - Returns: Each row's `1/√(mean(x²) + eps)`, in `workspace`, for the backward pass.
  /// - Complexity: O(tokens·features).
  public func forward(
    _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore,
    workspace: Workspace
  ) -> UnsafeMutablePointer<Float> {
    requireShape(input, rows: input.rows, columns: features, "input", "RMSNorm")
    requireShape(output.readOnly, rows: input.rows, columns: features, "output", "RMSNorm")
    let reciprocalRMS = workspace.allocate(Float.self, count: input.rows)
    let gamma = parameters.values + parameters[weight].offset
    let n = features
    parallelFor(input.rows, minimumChunk: 16) { rows in
      for i in rows {
        let (x, y) = (input.row(i), output.row(i))
        var squares: Float = 0
        for j in 0..<n { squares += x[j] * x[j] }
        let r = 1 / (squares / Float(n) + epsilon).squareRoot()
        reciprocalRMS[i] = r
        for j in 0..<n { y[j] = x[j] * r * gamma[j] }
      }
    }
    return reciprocalRMS
  }

  /// The vector–Jacobian product. With `r = 1/rms`, `x̂ = x·r` and `g = dy·γ`:
  /// `dx = r·(g − x̂·mean(g·x̂))`, `dγ += Σ dy·x̂`.
  ///
  /// - Complexity: O(tokens·features).
  public func backward(
    input: MatrixView<Float>, reciprocalRMS: UnsafePointer<Float>, outputGradient: MatrixView<Float>,
    inputGradient: InputGradient?, parameters: ParameterStore
  ) {
    requireShape(outputGradient, rows: input.rows, columns: features, "output gradient", "RMSNorm")
    inputGradient?.requireShape(rows: input.rows, columns: features, "RMSNorm")
    let n = features
    let gamma = parameters.values + parameters[weight].offset
    if parameters[weight].needsGradient {
      let dGamma = parameters.gradients + parameters[weight].offset
      for i in 0..<input.rows {
        let (x, dy, r) = (input.row(i), outputGradient.row(i), reciprocalRMS[i])
        for j in 0..<n { dGamma[j] += dy[j] * x[j] * r }
      }
    }
    guard let inputGradient else { return }
    parallelFor(input.rows, minimumChunk: 16) { rows in
      for i in rows {
        let (x, dy, r) = (input.row(i), outputGradient.row(i), reciprocalRMS[i])
        var meanGX: Float = 0
        for j in 0..<n { meanGX += dy[j] * gamma[j] * x[j] * r }
        meanGX /= Float(n)
        for j in 0..<n { inputGradient.store(r * (dy[j] * gamma[j] - x[j] * r * meanGX), row: i, column: j) }
      }
    }
  }
}
