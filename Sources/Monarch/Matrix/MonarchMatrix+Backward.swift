import TensorCore

/// The gradients of a loss with respect to the input and both factors of a Monarch multiply `y = x Mᵀ`.
public struct MonarchGradients<Scalar: TensorScalar>: Sendable {
  /// `∂L/∂x = (∂L/∂y) M`, shape `(batch, in)`.
  public let input: Tensor<Scalar>
  /// `∂L/∂w1`, shape `(k, q, p)`; zero in the padded columns.
  public let w1: Tensor<Scalar>
  /// `∂L/∂w2`, shape `(l, s, r)`.
  public let w2: Tensor<Scalar>
}

extension MonarchMatrix {
  /// The backward pass of ``multiply(_:)``: the gradients with respect to the input and both factors.
  ///
  /// The middle activation is recomputed from `x`; see
  /// ``MonarchFactorsView/gradients(input:outputGradient:batch:inputGradient:w1Gradient:w2Gradient:accumulate:)``
  /// for the formulas and for a form that skips unneeded gradients and writes into caller memory.
  ///
  /// - Parameters:
  ///   - x: The input of the forward multiply, shape `(batch, in)`.
  ///   - outputGradient: `∂L/∂y`, shape `(batch, out)`.
  /// - Returns: The three gradients.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `x` is not `(batch, in)` or
  ///   `outputGradient` is not `(batch, out)`.
  /// - Complexity: O(batch·(k·q·p + l·s·r)), about two and a half forward multiplies; each step runs its
  ///   blocks on all cores.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func gradients(input x: Tensor<Scalar>, outputGradient: Tensor<Scalar>) throws -> MonarchGradients<Scalar> {
    let batch = try checkRows(x, width: layout.inFeatures, argument: "gradients input")
    guard outputGradient.shape == [batch, layout.outFeatures] else {
      throw MonarchError.shapeMismatch(
        argument: "gradients output gradient", shape: outputGradient.shape,
        expected: "(\(batch), \(layout.outFeatures)) for \(layout)")
    }
    var dx = Tensor<Scalar>(zeros: [batch, layout.inFeatures])
    var dw1 = Tensor<Scalar>(zeros: layout.firstFactorShape)
    var dw2 = Tensor<Scalar>(zeros: layout.secondFactorShape)
    guard batch > 0 else { return MonarchGradients(input: dx, w1: dw1, w2: dw2) }
    withFactorsView { view in
      x.scalars.withUnsafeBufferPointer { px in
        outputGradient.scalars.withUnsafeBufferPointer { pdy in
          dx.scalars.withUnsafeMutableBufferPointer { pdx in
            dw1.scalars.withUnsafeMutableBufferPointer { pdw1 in
              dw2.scalars.withUnsafeMutableBufferPointer { pdw2 in
                view.gradients(
                  input: px.baseAddress!, outputGradient: pdy.baseAddress!, batch: batch, inputGradient: pdx.baseAddress,
                  w1Gradient: pdw1.baseAddress, w2Gradient: pdw2.baseAddress)
              }
            }
          }
        }
      }
    }
    return MonarchGradients(input: dx, w1: dw1, w2: dw2)
  }
}
