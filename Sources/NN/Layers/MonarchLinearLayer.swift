import Monarch
import TensorCore

/// A linear layer `y = x Mᵀ + b` whose weight is a Monarch matrix held as two factor slots of a
/// ``ParameterStore``: the trainable counterpart of `Monarch.MonarchLinear`.
///
/// `Monarch.MonarchLinear` is a value type that owns its factors as tensors; this layer owns nothing but its
/// parameter handles, like ``Linear``, and runs its products on the store's buffers through
/// `MonarchFactorsView` (no copy, no scan of the factors, nothing that outlives a call). Its name differs from
/// Monarch's so that a file importing both modules needs no module qualification.
///
/// Parameters: `w1` (`k × q × p`) and `w2` (`l × s × r`) in the Monarch module's layout (group
/// ``ParameterGroup/decayed``; named `blkdiag1` and `blkdiag2` with the PyTorch naming), and `bias`
/// (`outputFeatures`, group ``ParameterGroup/undecayed``). Inputs are `tokens × inputFeatures` matrices whose
/// rows are contiguous.
public struct MonarchLinearLayer: Sendable {
  /// The shape of the two factors.
  public let monarchLayout: MonarchLayout
  /// The handle of the first factor `w1`, shape `(k, q, p)`.
  public let w1: ParameterID
  /// The handle of the second factor `w2`, shape `(l, s, r)`.
  public let w2: ParameterID
  /// The handle of the bias, if the layer has one.
  public let bias: ParameterID?

  /// The width of the input.
  public var inputFeatures: Int { monarchLayout.inFeatures }
  /// The width of the output.
  public var outputFeatures: Int { monarchLayout.outFeatures }

  /// Declares `name.w1`, `name.w2` (or `name.blkdiag1`, `name.blkdiag2`) and `name.bias` in `layout`.
  ///
  /// - Parameters:
  ///   - name: The layer's dotted prefix.
  ///   - monarchLayout: The factor shapes (`MonarchLayout(inFeatures:outFeatures:blocks:rank:)` for the
  ///     square-block layout).
  ///   - bias: Whether the layer adds a bias.
  ///   - naming: The factor names in checkpoints.
  ///   - layout: The parameter layout that receives the slots.
  /// - Throws: A ``ParameterError`` for a name already declared.
  public init(
    _ name: String, monarchLayout: MonarchLayout, bias: Bool = true, naming: MonarchFactorNaming = .factors,
    layout: inout ParameterLayout
  ) throws(ParameterError) {
    self.monarchLayout = monarchLayout
    w1 = try layout.declare(
      ParameterLayout.qualified(name, naming.firstFactorName), shape: monarchLayout.firstFactorShape, group: .decayed)
    w2 = try layout.declare(
      ParameterLayout.qualified(name, naming.secondFactorName), shape: monarchLayout.secondFactorShape,
      group: .decayed)
    self.bias =
      bias
      ? try layout.declare(
        ParameterLayout.qualified(name, "bias"), shape: [monarchLayout.outFeatures], group: .undecayed) : nil
  }

  /// Declares a layer with `blocks` blocks in both factors and the default slice rank.
  ///
  /// - Throws: ``TrainingError/invalidMonarchLayout(layer:reason:)`` when the blocks do not fit the widths, or a
  ///   ``ParameterError`` for a name already declared.
  public init(
    _ name: String, inputFeatures: Int, outputFeatures: Int, blocks: Int, bias: Bool = true,
    layout: inout ParameterLayout
  ) throws {
    let monarchLayout: MonarchLayout
    do {
      monarchLayout = try MonarchLayout(inFeatures: inputFeatures, outFeatures: outputFeatures, blocks: blocks)
    } catch {
      throw TrainingError.invalidMonarchLayout(layer: name, reason: "\(error)")
    }
    try self.init(name, monarchLayout: monarchLayout, bias: bias, layout: &layout)
  }

  /// The variance-matched initialization of `Monarch.MonarchLinear`: both factors uniform with variance
  /// `1/√(3·p·r)`, so the composed map has the variance of a dense `nn.Linear` of the same shape; the bias
  /// uniform in `[-1/√in, 1/√in)`.
  public func initialize(_ store: ParameterStore, using generator: inout SeededGenerator) {
    let variance = 1 / (3 * Double(monarchLayout.inBlockSize * monarchLayout.secondBlockColumns)).squareRoot()
    let bound = Float((3 * variance).squareRoot())
    store.fillUniform(w1, bound: bound, using: &generator)
    store.fillUniform(w2, bound: bound, using: &generator)
    if let bias { store.fillUniform(bias, bound: 1 / Float(inputFeatures).squareRoot(), using: &generator) }
  }

  /// The factors as a view of the store's value buffer.
  private func factors(_ store: ParameterStore) -> MonarchFactorsView<Float> {
    do {
      return try MonarchFactorsView(
        layout: monarchLayout, w1: UnsafeBufferPointer(store.values(w1)), w2: UnsafeBufferPointer(store.values(w2)))
    } catch {
      // The slots were declared with the layout's factor shapes, so their lengths always fit.
      preconditionFailure("MonarchLinearLayer: factor slots do not fit \(monarchLayout): \(error)")
    }
  }

  /// Computes `output = input Mᵀ + b`.
  ///
  /// - Parameters:
  ///   - input: `tokens × inputFeatures`, rows contiguous.
  ///   - output: `tokens × outputFeatures`, rows contiguous, overwritten; must not overlap `input`.
  ///   - parameters: The store holding the factors and the bias.
  /// - Complexity: O(tokens·(k·q·p + l·s·r)): one GEMM per block of each factor.
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore) {
    requireContiguous(input, columns: inputFeatures, "input")
    requireContiguous(output.readOnly, rows: input.rows, columns: outputFeatures, "output")
    factors(parameters).multiply(input.base, batch: input.rows, into: output.base)
    guard let bias else { return }
    let b = parameters.values + parameters[bias].offset
    for i in 0..<output.rows {
      let row = output.row(i)
      for j in 0..<outputFeatures { row[j] += b[j] }
    }
  }

  /// The vector–Jacobian product: accumulates `∂L/∂w1`, `∂L/∂w2` and `∂L/∂b` into the store for the
  /// parameters that need a gradient, and writes `∂L/∂x` when asked; work for the others is skipped.
  ///
  /// - Parameters:
  ///   - input: What ``forward(_:into:parameters:)`` received.
  ///   - outputGradient: `tokens × outputFeatures`, rows contiguous.
  ///   - inputGradient: Where `∂L/∂x` goes (rows contiguous), or `nil` to skip it.
  ///   - parameters: The store whose gradients receive the factor and bias gradients.
  ///   - workspace: Scratch for an input gradient that accumulates.
  /// - Complexity: O(tokens·(k·q·p + l·s·r)) per gradient computed.
  public func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore, workspace: Workspace
  ) {
    let tokens = input.rows
    requireContiguous(input, columns: inputFeatures, "input")
    requireContiguous(outputGradient, rows: tokens, columns: outputFeatures, "output gradient")
    if let bias, parameters[bias].needsGradient {
      let db = parameters.gradients + parameters[bias].offset
      for i in 0..<tokens {
        let row = outputGradient.row(i)
        for j in 0..<outputFeatures { db[j] += row[j] }
      }
    }
    let dw1 = parameters[w1].needsGradient ? parameters.gradients + parameters[w1].offset : nil
    let dw2 = parameters[w2].needsGradient ? parameters.gradients + parameters[w2].offset : nil
    var dx: UnsafeMutablePointer<Float>?
    if let inputGradient {
      inputGradient.requireShape(rows: tokens, columns: inputFeatures, "MonarchLinearLayer")
      requireContiguous(inputGradient.view.readOnly, rows: tokens, columns: inputFeatures, "input gradient")
      dx = inputGradient.accumulates ? workspace.allocate(Float.self, count: tokens * inputFeatures) : inputGradient.view.base
    }
    guard dw1 != nil || dw2 != nil || dx != nil else { return }
    factors(parameters).gradients(
      input: input.base, outputGradient: outputGradient.base, batch: tokens, inputGradient: dx, w1Gradient: dw1,
      w2Gradient: dw2, accumulate: true)
    if let inputGradient, inputGradient.accumulates, let dx {
      axpy(count: tokens * inputFeatures, alpha: 1, dx, inputGradient.view.base)
    }
  }

  private func requireContiguous(_ view: MatrixView<Float>, rows: Int? = nil, columns: Int, _ what: String) {
    requireShape(view, rows: rows ?? view.rows, columns: columns, what, "MonarchLinearLayer")
    precondition(
      view.rows <= 1 || view.leadingDimension == columns,
      "MonarchLinearLayer: \(what) rows must be contiguous (leading dimension \(view.leadingDimension), width \(columns))")
  }
}
