import CKernels
import TensorCore

/// 1.5-entmax, `p = [x/2 − τ]₊²` with `τ` chosen so that `Σp = 1` (Peters, Niculae & Martins, 2019).
///
/// Between softmax and sparsemax: translation invariant and sparse, with probabilities that decay
/// quadratically towards the threshold. The threshold is exact: the threshold of the per-lane maxima of a
/// row is a lower bound of it, only the halved scores above that bound are kept, and Newton steps on
/// `Σ[z − τ]₊² = 1` from below run until the closed form `τ = μ − √(1/k − σ²)` on the current support is
/// consistent with it, no sort. The Jacobian is the entmax-family one with `g = √p`.
public struct Entmax15: ProbabilityMap {
  /// Creates the 1.5-entmax map (it has no parameters).
  public init() {}

  /// The 1.5-entmax of every row.
  ///
  /// - Complexity: O(n + c·s) per row for `c` kept scores and `s` Newton steps (a handful of each).
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>
  ) throws {
    try RowDriver.map(scores, length: n, into: output, workspaceCount: n) { _, x, out, workspace in
      RowKernels.entmax15(x, into: out, workspace: workspace)
    }
  }

  /// `g ⊙ (v − ⟨g, v⟩/Σg)` with `g = √p`.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length n: Int, into result: UnsafeMutableBufferPointer<S>
  ) throws {
    try RowDriver.map(output, gradient, length: n, into: result) { _, p, v, out in
      RowKernels.simplexBackward(p, gradient: v, factor: 1, weights: SML_WEIGHTS_SQUARE_ROOT, into: out)
    }
  }
}
