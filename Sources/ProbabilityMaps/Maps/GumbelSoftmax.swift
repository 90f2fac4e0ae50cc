import TensorCore

/// Perturb-max with Gumbel noise: sampling by Gumbel-max and the Gumbel-softmax relaxation
/// (Jang, Gu & Poole, 2017; Maddison, Mnih & Teh, 2017).
///
/// With i.i.d. `εᵢ = −log(−log Uᵢ)`, `P[argmax(x + ε) = i] = softmax(x)ᵢ`. Gumbel-softmax is
/// `softmax((x + ε)/τ)`; its straight-through ("hard") form returns `onehot(argmax)` forward and uses the
/// soft backward. All noise comes from the generator passed in, row by row, so results are reproducible.
public struct GumbelSoftmax: Sendable {
  /// The temperature `τ > 0` of the relaxation.
  public let temperature: Double
  /// Whether ``sample(_:using:)`` returns one-hot rows (straight-through) instead of the relaxed ones.
  public let hard: Bool

  /// One draw: the forward output and the relaxed probabilities its backward needs.
  public struct Sample<S: ProbabilityScalar>: Sendable {
    /// What the layer outputs: the relaxed rows, or one-hot rows when `hard`.
    public let output: Tensor<S>
    /// `softmax((x + ε)/τ)`, the rows the gradient flows through.
    public let relaxed: Tensor<S>
  }

  /// Creates a Gumbel-softmax.
  ///
  /// - Parameters:
  ///   - temperature: `τ`, finite and positive (default 1).
  ///   - hard: Return one-hot rows forward, with the relaxed backward (default `false`).
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` for a bad temperature.
  public init(temperature: Double = 1, hard: Bool = false) throws {
    self.temperature = try Softmax(temperature: temperature).temperature
    self.hard = hard
  }

  /// `scores + ε` with fresh Gumbel noise on the finite scores (`-inf` stays excluded).
  static func perturbed<S: ProbabilityScalar>(_ scores: Tensor<S>, using generator: inout SeededGenerator)
    -> Tensor<S>
  {
    scores.map { x in
      let uniform = max(generator.nextUnit(), Double.leastNormalMagnitude)
      return x == -.infinity ? x : x + S(-Double.logarithm(-Double.logarithm(uniform)))
    }
  }

  /// Draws one relaxed (and, when `hard`, one-hot) sample for every row.
  ///
  /// - Parameters:
  ///   - scores: Logits of any rank ≥ 1; rows along the last axis.
  ///   - generator: The source of the noise.
  /// - Returns: The output rows and the relaxed rows for ``backward(sample:outputGradient:)``.
  /// - Throws: ``ProbabilityMapError`` for a scalar or an empty last axis.
  /// - Complexity: O(n) per row plus one logarithm pair per score for the noise.
  public func sample<S: ProbabilityScalar>(_ scores: Tensor<S>, using generator: inout SeededGenerator) throws
    -> Sample<S>
  {
    let relaxed = try Softmax(temperature: temperature).forward(GumbelSoftmax.perturbed(scores, using: &generator))
    guard hard else { return Sample(output: relaxed, relaxed: relaxed) }
    let output = try RowDriver.map(relaxed) { _, p, out, _ in
      out.update(repeating: 0)
      var best: Int?
      for i in 0..<p.count where p[i] > 0 && (best.map { p[i] > p[$0] } ?? true) { best = i }
      if let best { out[best] = 1 }
    }
    return Sample(output: output, relaxed: relaxed)
  }

  /// The straight-through gradient with respect to the scores: the softmax backward through the relaxed rows.
  ///
  /// - Parameters:
  ///   - sample: What ``sample(_:using:)`` returned.
  ///   - gradient: The gradient of the objective with respect to `sample.output`.
  /// - Returns: The gradient with respect to the scores.
  /// - Throws: ``ProbabilityMapError`` when the shapes differ.
  public func backward<S: ProbabilityScalar>(sample: Sample<S>, outputGradient gradient: Tensor<S>) throws -> Tensor<S> {
    try Softmax(temperature: temperature).backward(scores: sample.relaxed, output: sample.relaxed, outputGradient: gradient)
  }

  /// Gumbel-max sampling: one index per row, distributed as `softmax(scores)` of that row.
  ///
  /// - Parameters:
  ///   - scores: Logits of any rank ≥ 1; rows along the last axis.
  ///   - generator: The source of the noise.
  /// - Returns: The sampled index of every row, or `nil` for a row that is entirely `-inf` or holds a NaN.
  /// - Throws: ``ProbabilityMapError`` for a scalar or an empty last axis.
  /// - Complexity: O(n) per row.
  public static func sampleIndices<S: ProbabilityScalar>(_ scores: Tensor<S>, using generator: inout SeededGenerator)
    throws -> [Int?]
  {
    let (rows, n) = try RowDriver.rowShape(scores, name: "scores")
    let noisy = perturbed(scores, using: &generator)
    return (0..<rows).map { row in
      var best: Int?
      for i in 0..<n {
        let value = noisy.scalars[row * n + i]
        if value.isNaN { return nil }
        if value > -.infinity, best.map({ value > noisy.scalars[row * n + $0] }) ?? true { best = i }
      }
      return best
    }
  }
}
