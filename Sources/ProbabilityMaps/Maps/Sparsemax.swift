import CKernels
import TensorCore

/// Sparsemax, the Euclidean projection of the scores onto the probability simplex:
/// `p = argmin_{q ∈ Δ} ‖q − x‖² = [x − τ]₊` with `τ` chosen so that `Σp = 1` (Martins & Astudillo, 2016).
///
/// It is entmax with `α = 2`: translation invariant, weakly monotone, and exactly sparse. The threshold comes
/// from a filter (only scores above the threshold of the per-lane maxima, a lower bound, can be in the
/// support) followed by Michelot's algorithm on the survivors: expected linear time, no sort. The Jacobian on the support `S` is
/// `diag(1_S) − 1_S 1_Sᵀ/|S|`.
public struct Sparsemax: ProbabilityMap {
  /// Creates the sparsemax map (it has no parameters).
  public init() {}

  /// The sparsemax of every row.
  ///
  /// - Complexity: O(n) expected per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>
  ) throws {
    try RowDriver.map(scores, length: n, into: output, workspaceCount: n) { _, x, out, workspace in
      RowKernels.sparsemax(x, into: out, workspace: workspace)
    }
  }

  /// `v − mean_S(v)` on the support `S = {p > 0}`, 0 elsewhere.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length n: Int, into result: UnsafeMutableBufferPointer<S>
  ) throws {
    try RowDriver.map(output, gradient, length: n, into: result) { _, p, v, out in
      RowKernels.simplexBackward(p, gradient: v, factor: 1, weights: SML_WEIGHTS_SUPPORT, into: out)
    }
  }
}
