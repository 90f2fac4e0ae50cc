import TensorCore

/// A linear layer `y = x Mᵀ + b` whose weight is a Monarch matrix: the structured replacement for `nn.Linear`.
///
/// The default layout is the reference `MonarchLinear(nblocks: blocks)`: `k = l = blocks` and middle width
/// `min(in, out)`, that is slice rank `ρ = max(1, min(in, out) / blocks²)`.
///
/// **Initialization (variance matched).** A dense `nn.Linear` starts with `U(±1/√in)` entries, so each output
/// has variance `Var y = in · 1/(3·in) · Var x = Var x / 3`. Each Monarch output sums `r` middle units, each of
/// which sums `p` inputs, so `Var y = p·r·v₁·v₂·Var x` for factor variances `v₁`, `v₂`. Both factors are drawn
/// uniform with the same variance
///
/// ```
/// v₁ = v₂ = 1 / √(3·p·r),   w ~ U(±√(3·v))
/// ```
///
/// which gives the composed map the variance of the dense layer of the same shape (every dense entry has
/// variance `ρ·v₁·v₂ = 1/(3·in)`). The bias is `U(±1/√in)` as in `nn.Linear`.
public struct MonarchLinear<Scalar: TensorScalar>: Sendable {
  /// The structured weight `M` (`out × in`).
  public var weight: MonarchMatrix<Scalar>
  /// The bias `b` of length `out`, or `nil`; the forward and backward passes check its length.
  public var bias: Tensor<Scalar>?

  /// The gradients of one backward pass.
  public struct Gradients: Sendable {
    /// `∂L/∂x`.
    public let input: Tensor<Scalar>
    /// `∂L/∂w1`.
    public let w1: Tensor<Scalar>
    /// `∂L/∂w2`.
    public let w2: Tensor<Scalar>
    /// `∂L/∂b` (column sums of `∂L/∂y`), or `nil` without a bias.
    public let bias: Tensor<Scalar>?
  }

  /// Creates a layer with the variance-matched random initialization.
  ///
  /// - Parameters:
  ///   - inFeatures: The input width.
  ///   - outFeatures: The output width.
  ///   - blocks: `k = l`, the number of blocks of both factors (default 4, as the reference layer).
  ///   - rank: The slice rank; `nil` chooses `max(1, min(in, out) / blocks²)`.
  ///   - bias: Whether the layer adds a bias.
  ///   - generator: The source of randomness.
  /// - Throws: ``MonarchError/invalidLayout(reason:)`` when the blocks or the rank do not fit the shape.
  public init(
    inFeatures: Int, outFeatures: Int, blocks: Int = 4, rank: Int? = nil, bias: Bool = true,
    using generator: inout SeededGenerator
  ) throws {
    let layout = try MonarchLayout(inFeatures: inFeatures, outFeatures: outFeatures, blocks: blocks, rank: rank)
    let variance = 1 / (3 * Double(layout.inBlockSize * layout.secondBlockColumns)).squareRoot()
    let bound = Scalar((3 * variance).squareRoot())
    let w1 = Tensor<Scalar>.uniform(shape: layout.firstFactorShape, in: -bound..<bound, using: &generator)
    let w2 = Tensor<Scalar>.uniform(shape: layout.secondFactorShape, in: -bound..<bound, using: &generator)
    let biasBound = 1 / Scalar(inFeatures).squareRoot()
    self.weight = try MonarchMatrix(layout: layout, w1: w1, w2: w2)
    self.bias = bias ? Tensor.uniform(shape: [outFeatures], in: -biasBound..<biasBound, using: &generator) : nil
  }

  /// Creates a layer from a given weight and bias.
  ///
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when the bias length is not the output
  ///   width, ``MonarchError/nonFinite(argument:index:value:)`` when it holds NaN or infinity.
  public init(weight: MonarchMatrix<Scalar>, bias: Tensor<Scalar>?) throws {
    if let bias {
      guard bias.shape == [weight.layout.outFeatures] else {
        throw MonarchError.shapeMismatch(argument: "bias", shape: bias.shape, expected: "[\(weight.layout.outFeatures)]")
      }
      if let index = bias.scalars.firstIndex(where: { !$0.isFinite }) {
        throw MonarchError.nonFinite(argument: "bias", index: index, value: Double(bias.scalars[index]))
      }
    }
    self.weight = weight
    self.bias = bias
  }

  /// Throws unless the bias (set after `init`, perhaps) has the weight's output width.
  private func checkBias() throws {
    if let bias, bias.shape != [weight.layout.outFeatures] {
      throw MonarchError.shapeMismatch(argument: "bias", shape: bias.shape, expected: "[\(weight.layout.outFeatures)]")
    }
  }

  /// The forward pass `y = x Mᵀ + b`.
  ///
  /// - Parameter x: Shape `(batch, in)`.
  /// - Returns: Shape `(batch, out)`.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `x` is not `(batch, in)` or the
  ///   bias does not have the output width.
  /// - Complexity: See ``MonarchMatrix/multiply(_:)``.
  public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
    try checkBias()
    var y = try weight.multiply(x)
    guard let bias else { return y }
    let width = bias.count
    for index in 0..<y.count { y.scalars[index] += bias.scalars[index % width] }
    return y
  }

  /// The backward pass: gradients with respect to the input, both factors and the bias.
  ///
  /// - Parameters:
  ///   - x: The input of the forward pass.
  ///   - outputGradient: `∂L/∂y`, shape `(batch, out)`.
  /// - Returns: The gradients.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `x` is not `(batch, in)` or
  ///   `outputGradient` is not `(batch, out)`.
  /// - Complexity: See ``MonarchMatrix/gradients(input:outputGradient:)``.
  public func backward(input x: Tensor<Scalar>, outputGradient: Tensor<Scalar>) throws -> Gradients {
    try checkBias()
    let batch = try weight.checkRows(x, width: weight.layout.inFeatures, argument: "backward input")
    guard outputGradient.shape == [batch, weight.layout.outFeatures] else {
      throw MonarchError.shapeMismatch(
        argument: "backward output gradient", shape: outputGradient.shape,
        expected: "[\(batch), \(weight.layout.outFeatures)]")
    }
    let gradients = try weight.gradients(input: x, outputGradient: outputGradient)
    var biasGradient: Tensor<Scalar>?
    if let bias {
      var sums = Tensor<Scalar>(zeros: bias.shape)
      for index in 0..<outputGradient.count { sums.scalars[index % bias.count] += outputGradient.scalars[index] }
      biasGradient = sums
    }
    return Gradients(input: gradients.input, w1: gradients.w1, w2: gradients.w2, bias: biasGradient)
  }
}
