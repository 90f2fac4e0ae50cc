import TensorCore

/// The best rank-`r` approximation of a dense matrix at a given parameter budget: the baseline a Monarch
/// projection is compared against.
public struct LowRankBaseline: Sendable, Equatable {
  /// The rank `r = max(1, budget / (rows + columns))`, capped at `min(rows, columns)`.
  public let rank: Int
  /// `r·(rows + columns)`, the parameters of the two rank-`r` factors.
  public let parameterCount: Int
  /// `‖W − W_r‖_F`, the root of the sum of the discarded squared singular values.
  public let error: Double
  /// `‖W‖_F`.
  public let norm: Double

  /// `‖W − W_r‖_F / ‖W‖_F`, or 0 for a zero matrix.
  public var relativeError: Double { norm > 0 ? error / norm : 0 }

  /// Creates a baseline from its figures (as recorded elsewhere, for example by another process).
  public init(rank: Int, parameterCount: Int, error: Double, norm: Double) {
    (self.rank, self.parameterCount, self.error, self.norm) = (rank, parameterCount, error, norm)
  }

  /// The truncated-SVD error of `w` at the rank that spends `parameterCount` parameters.
  ///
  /// Matrices with at most `exactLimit` rows or columns use the full SVD; larger ones the randomized
  /// truncated SVD (two power iterations, oversampling 10), whose singular values are lower bounds, so the
  /// error is at worst slightly overstated.
  ///
  /// - Parameters:
  ///   - w: The dense matrix.
  ///   - budget: The parameter budget, usually a Monarch layout's ``MonarchLayout/parameterCount``.
  ///   - exactLimit: The largest smaller dimension handled by the full SVD.
  ///   - generator: The randomness of the randomized SVD.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `w` is not a non-empty matrix,
  ///   ``MonarchError/nonFinite(argument:index:value:)`` when it holds NaN or infinity.
  /// - Complexity: O(m·n·min(m, n)) exact, O(m·n·(r + 10)·6) randomized.
  public init<Scalar: TensorScalar>(
    of w: Tensor<Scalar>, parameterCount budget: Int, exactLimit: Int = 512, using generator: inout SeededGenerator
  ) throws {
    guard w.rank == 2, w.count > 0 else {
      throw MonarchError.shapeMismatch(argument: "matrix", shape: w.shape, expected: "a non-empty 2-D shape")
    }
    let (m, n) = (w.rows, w.columns)
    rank = min(min(m, n), max(1, budget / (m + n)))
    parameterCount = rank * (m + n)
    norm = w.frobeniusNorm
    // The norm is summed in Double, so it is finite exactly when every element is: scan only then.
    if !norm.isFinite, let index = w.scalars.firstIndex(where: { !$0.isFinite }) {
      throw MonarchError.nonFinite(argument: "matrix", index: index, value: Double(w.scalars[index]))
    }
    let values: [Double]
    do {
      if min(m, n) <= exactLimit {
        values = try singularValueDecomposition(w.converted(to: Double.self)).singularValues
      } else {
        values = try truncatedSingularValueDecomposition(w, rank: rank, using: &generator).singularValues.map {
          Double($0)
        }
      }
    } catch {
      throw MonarchError.decompositionFailed(argument: "low-rank baseline", reason: "\(error)")
    }
    let kept = values.prefix(rank).reduce(0) { $0 + $1 * $1 }
    let discarded = values.count > rank ? values[rank...].reduce(0) { $0 + $1 * $1 } : 0
    error = values.count == min(m, n) ? discarded.squareRoot() : max(0, norm * norm - kept).squareRoot()
  }
}
