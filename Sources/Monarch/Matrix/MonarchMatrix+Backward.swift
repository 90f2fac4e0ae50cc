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
  /// With `hᵀ = blockdiag(w1) xᵀ` recomputed from `x`:
  ///
  /// ```
  /// dw2[ll] = Σ_b dy[b, ss·l + ll] · h[b, rr·l + ll]
  /// dh[b, rr·l + ll] = Σ_ss w2[ll, ss, rr] · dy[b, ss·l + ll]
  /// dw1[kk] = Σ_b dh[b, kk·q + qq] · x[b, kk·p + pp]
  /// dx[b, kk·p + pp] = Σ_qq w1[kk, qq, pp] · dh[b, kk·q + qq]
  /// ```
  ///
  /// - Parameters:
  ///   - x: The input of the forward multiply, shape `(batch, in)`.
  ///   - outputGradient: `∂L/∂y`, shape `(batch, out)`.
  /// - Returns: The three gradients.
  /// - Complexity: O(batch·(k·q·p + l·s·r)), about twice a forward multiply; each step runs its blocks on all
  ///   cores.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func gradients(input x: Tensor<Scalar>, outputGradient: Tensor<Scalar>) -> MonarchGradients<Scalar> {
    let batch = x.shape.first ?? 0
    precondition(
      x.rank == 2 && x.shape[1] == layout.inFeatures && outputGradient.shape == [batch, layout.outFeatures],
      "MonarchMatrix.gradients: input \(x.shape) and output gradient \(outputGradient.shape) do not fit \(layout)")
    var dx = Tensor<Scalar>(zeros: [batch, layout.inFeatures])
    var dw1 = Tensor<Scalar>(zeros: layout.firstFactorShape)
    var dw2 = Tensor<Scalar>(zeros: layout.secondFactorShape)
    guard batch > 0 else { return MonarchGradients(input: dx, w1: dw1, w2: dw2) }
    let (k, l) = (layout.inBlocks, layout.outBlocks)
    var hT = [Scalar](repeating: 0, count: layout.middleWidth * batch)
    var dhT = hT
    var dyT = [Scalar](repeating: 0, count: layout.paddedOutFeatures * batch)
    withKernels { kernels in
      x.scalars.withUnsafeBufferPointer { px in
        outputGradient.scalars.withUnsafeBufferPointer { pdy in
          hT.withUnsafeMutableBufferPointer { phT in
            dhT.withUnsafeMutableBufferPointer { pdhT in
              dyT.withUnsafeMutableBufferPointer { pdyT in
                let (xBase, hTBase, dhTBase, dyTBase) = (
                  px.baseAddress!, phT.baseAddress!, pdhT.baseAddress!, pdyT.baseAddress!
                )
                transposeCopy(
                  pdy.baseAddress!, rows: batch, columns: layout.outFeatures, sourceStride: layout.outFeatures,
                  into: dyTBase, targetStride: batch)
                parallelFor(k) { kernels.firstFactor(blocks: $0, input: xBase, rows: batch, middle: hTBase) }
                dw2.scalars.withUnsafeMutableBufferPointer { pdw2 in
                  let dw2Base = pdw2.baseAddress!
                  parallelFor(l) { blocks in
                    kernels.secondFactorGradient(
                      blocks: blocks, outputGradient: dyTBase, middle: hTBase, rows: batch, into: dw2Base)
                    kernels.secondFactorTransposed(blocks: blocks, output: dyTBase, rows: batch, middle: dhTBase)
                  }
                }
                dw1.scalars.withUnsafeMutableBufferPointer { pdw1 in
                  dx.scalars.withUnsafeMutableBufferPointer { pdx in
                    let (dw1Base, dxBase) = (pdw1.baseAddress!, pdx.baseAddress!)
                    parallelFor(k) { blocks in
                      kernels.firstFactorGradient(
                        blocks: blocks, middleGradient: dhTBase, input: xBase, rows: batch, into: dw1Base)
                      kernels.firstFactorTransposed(blocks: blocks, middle: dhTBase, rows: batch, input: dxBase)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return MonarchGradients(input: dx, w1: dw1, w2: dw2)
  }
}
