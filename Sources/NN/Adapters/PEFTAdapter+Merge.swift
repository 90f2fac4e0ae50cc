import TensorCore

/// Adds a LoRA update to a weight: `W += scale · B·A` for a weight stored `out × in`, or
/// `W += scale · (B·A)ᵀ` for one stored `in × out` (`fanInFanOut`, GPT-2's `Conv1D`).
///
/// ```
/// fanInFanOut false:  W[o][i] += scale · Σ_k B[o][k] · A[k][i]      (W: out × in)
/// fanInFanOut true:   W[i][o] += scale · Σ_k B[o][k] · A[k][i]      (W: in × out)
/// ```
/// A negative `scale` removes an update added before (up to rounding).
/// - Parameters:
///   - factors: `A` (`r × in`) and `B` (`out × r`).
///   - scale: `s`, the adapter's ``LoRAScaling/scale``.
///   - fanInFanOut: Whether the weight is stored `in × out`.
///   - weight: The weight, changed in place.
///   - module: Names the module in errors.
/// - Throws: ``LoRAError/shapeMismatch(module:expected:a:b:)`` when the weight is not the matrix the factors
///   adapt (`expected` is the layer's `[out, in]` read from the weight); the weight is then unchanged.
/// - Complexity: O(r · in · out), one matrix product.
public func addLoRAUpdate(
  _ factors: LoRAFactors, scale: Float, fanInFanOut: Bool = false, to weight: inout Tensor<Float>, module: String
) throws(LoRAError) {
  let (r, inputs, outputs) = (factors.rank, factors.inputFeatures, factors.outputFeatures)
  let shape = weight.shape
  guard shape == (fanInFanOut ? [inputs, outputs] : [outputs, inputs]) else {
    let layer = shape.count == 2 && fanInFanOut ? [shape[1], shape[0]] : shape
    throw .shapeMismatch(module: module, expected: layer, a: factors.a.shape, b: factors.b.shape)
  }
  factors.a.scalars.withUnsafeBufferPointer { a in
    factors.b.scalars.withUnsafeBufferPointer { b in
      weight.scalars.withUnsafeMutableBufferPointer { w in
        guard let a = a.baseAddress, let b = b.baseAddress, let w = w.baseAddress else { return }
        let aView = MatrixView(a, rows: r, columns: inputs)
        let bView = MatrixView(b, rows: outputs, columns: r)
        if fanInFanOut {
          // (B·A)ᵀ = Aᵀ·Bᵀ, an in × out matrix.
          gemm(
            aView, bView, MutableMatrixView(w, rows: inputs, columns: outputs), transposeA: true, transposeB: true,
            alpha: scale, beta: 1)
        } else {
          gemm(bView, aView, MutableMatrixView(w, rows: outputs, columns: inputs), alpha: scale, beta: 1)
        }
      }
    }
  }
}

extension PEFTAdapter {
  /// Merges one module's update into its base weight, with the module's own scale (rank and alpha patterns and
  /// rsLoRA honoured) and the configuration's `fan_in_fan_out`.
  ///
  /// - Parameters:
  ///   - weight: The module's base weight, `out × in`, or `in × out` with `fan_in_fan_out`.
  ///   - module: The module's name.
  /// - Throws: ``LoRAError/unknownModule(_:)`` when the adapter has no factors for the module;
  ///   ``LoRAError/shapeMismatch(module:expected:a:b:)`` when the weight does not fit them.
  /// - Complexity: O(r · in · out).
  public func merge(into weight: inout Tensor<Float>, module: String) throws(LoRAError) {
    guard let pair = factors[module] else { throw .unknownModule(module) }
    let scale = try scaling(forModule: module).scale
    try addLoRAUpdate(pair, scale: Float(scale), fanInFanOut: configuration.fanInFanOut, to: &weight, module: module)
  }
}
