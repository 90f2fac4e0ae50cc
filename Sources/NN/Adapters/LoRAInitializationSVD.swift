import TensorCore

/// How an initialization that needs singular vectors (LoRA-GA of the gradient, PiSSA of the weight) computes them.
///
/// ``automatic`` takes the exact thin SVD (LAPACK `?gesdd`) while `min(out, in)` is at most
/// ``exactSizeLimit`` and the randomized truncated SVD (Halko, Martinsson and Tropp; TensorCore's
/// `truncatedSingularValueDecomposition`) with ``defaultPowerIterations`` rounds above it. The exact one costs
/// about `4 · out · in · min(out, in)` flops, the randomized one about `2 · out · in · q · (2 + 2K)` for `q` samples
/// and `K` rounds; with the ranks adapters use (`q = 4r ≤ 64`, `K = 4`) the two meet at a few hundred, so the
/// limit keeps small and medium layers exact and sends only large ones to the randomized SVD, whose top triplets
/// are then approximate. Every decomposition runs in `Double`.
public enum LoRASVDMethod: Sendable, Equatable, Hashable, Codable {
  /// Exact below ``exactSizeLimit``, randomized with ``defaultPowerIterations`` rounds above it.
  case automatic
  /// The exact thin SVD, whatever the size (what tests use).
  case exact
  /// The randomized truncated SVD with `powerIterations` rounds of subspace iteration (`niter` in PyTorch's
  /// `svd_lowrank`).
  case randomized(powerIterations: Int)

  /// The largest `min(out, in)` for which ``automatic`` takes the exact SVD.
  public static let exactSizeLimit = 1024
  /// The power iterations of ``automatic`` on large layers: 4, as the LoRA-GA reference passes to `svd_lowrank`.
  public static let defaultPowerIterations = 4

  /// The method ``automatic`` stands for on a matrix `rows × columns`; the others are returned unchanged.
  public func resolved(rows: Int, columns: Int) -> LoRASVDMethod {
    guard case .automatic = self else { return self }
    return min(rows, columns) <= Self.exactSizeLimit ? .exact : .randomized(powerIterations: Self.defaultPowerIterations)
  }

  /// Throws unless the power-iteration count is non-negative.
  func validate(module: String) throws(LoRAError) {
    if case .randomized(let iterations) = self, iterations < 0 {
      throw .invalidInitializationParameter(module: module, name: "powerIterations", value: Double(iterations))
    }
  }

  /// The leading `count` singular triplets of `matrix` (`count ≤ min(rows, columns)`), with `samples` random
  /// directions (`count ≤ samples ≤ min(rows, columns)`) when the resolved method is randomized.
  ///
  /// - Throws: ``LoRAError/decompositionFailed(module:tensor:reason:)`` if LAPACK fails.
  func leadingTriplets(
    of matrix: Tensor<Double>, count: Int, samples: Int, module: String, tensor: String,
    using generator: inout SeededGenerator
  ) throws(LoRAError) -> SingularValueDecomposition<Double> {
    let (m, n) = (matrix.rows, matrix.columns)
    precondition(count >= 1 && count <= samples && samples <= min(m, n), "leadingTriplets: \(count), \(samples) for \(m)×\(n)")
    do {
      switch resolved(rows: m, columns: n) {
      case .randomized(let iterations):
        return try truncatedSingularValueDecomposition(
          matrix, rank: count, oversampling: samples - count, powerIterations: iterations, using: &generator)
      case .exact, .automatic:
        let full = try singularValueDecomposition(matrix)
        let k = full.singularValues.count
        let u = Tensor<Double>(shape: [m, count]) { full.u.scalars[($0 / count) * k + $0 % count] }
        let vt = Tensor<Double>(shape: [count, n], scalars: Array(full.vt.scalars[0..<(count * n)]))
        return SingularValueDecomposition(u: u, singularValues: Array(full.singularValues[0..<count]), vt: vt)
      }
    } catch let error as LinalgError {
      throw .decompositionFailed(module: module, tensor: tensor, reason: error.description)
    } catch {
      throw .decompositionFailed(module: module, tensor: tensor, reason: "\(error)")
    }
  }
}
