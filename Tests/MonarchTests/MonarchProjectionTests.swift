import Monarch
import TensorCore
import TestSupport
import Testing

@Suite("Monarch projection: exactness oracles")
struct MonarchProjectionTests {
  @Test(arguments: standardLayouts)
  func aMonarchMatrixProjectsOntoItself(shape: (Int, Int, Int, Int, Int)) throws {
    let layout = try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, rank: shape.4)
    var generator = SeededGenerator(seed: 21)
    let dense = MonarchMatrix<Float>.random(layout: layout, using: &generator).dense()
    let projection = try project(dense, onto: layout)
    #expect(projection.relativeError < 2e-6, "\(layout): reported \(projection.relativeError)")
    let rebuilt = projection.matrix.dense()
    #expect((rebuilt - dense).frobeniusNorm / dense.frobeniusNorm < 2e-6)
  }

  @Test func squareRankOneProjectsAMonarchMatrixOntoItselfAtSize256() throws {
    let layout = try MonarchLayout(inFeatures: 256, outFeatures: 256, blocks: 16)
    #expect(layout.sliceRank == 1)
    var generator = SeededGenerator(seed: 22)
    let dense = MonarchMatrix<Float>.random(layout: layout, using: &generator).dense()
    let projection = try project(dense, onto: layout)
    #expect((projection.matrix.dense() - dense).frobeniusNorm / dense.frobeniusNorm < 1e-6)
    #expect(projection.relativeError < 1e-6)
  }

  @Test func kroneckerProductsAreExactlyMonarch() throws {
    // A ⊗ B with A: a1×a2, B: b1×b2 has k = a2, p = b2, l = b1, s = a1, ρ = 1.
    var generator = SeededGenerator(seed: 23)
    let a = Tensor<Double>.normal(shape: [3, 5], using: &generator)
    let b = Tensor<Double>.normal(shape: [4, 2], using: &generator)
    let product = kronecker(a, b)
    let layout = try MonarchLayout(inFeatures: 10, outFeatures: 12, inBlocks: 5, outBlocks: 4, rank: 1)
    let projection = try project(product, onto: layout)
    #expect(projection.relativeError < 1e-12)
    #expect(discrepancy(projection.matrix.dense(), product, absoluteTolerance: 1e-12).isWithinTolerance)
  }

  @Test(arguments: [1, 2, 3])
  func hadamardMatricesOfSize4PowerJAreExactlyMonarch(j: Int) throws {
    let n = 1 << (2 * j)
    let h = hadamard(power: 2 * j)
    let projection = try project(h, onto: MonarchLayout(inFeatures: n, outFeatures: n, blocks: 1 << j))
    #expect(projection.matrix.layout.sliceRank == 1)
    #expect(projection.relativeError < 1e-12)
    #expect(discrepancy(projection.matrix.dense(), h, absoluteTolerance: 1e-12).isWithinTolerance)
  }

  /// A 16 × 16 matrix whose slices (k = l = 4) have prescribed singular values: slice (kk, ll) is
  /// `Σ_j σ_j(kk, ll) u_j v_jᵀ` with orthonormal Hadamard columns, built as a rank-4 Monarch matrix.
  static func matrixWithKnownSliceSpectra() throws -> (matrix: Tensor<Double>, singularValues: [[Double]]) {
    let layout = try MonarchLayout(inFeatures: 16, outFeatures: 16, blocks: 4, rank: 4)
    let h = hadamard(power: 2).map { $0 / 2 }  // orthogonal 4 × 4
    var w1 = Tensor<Double>(zeros: layout.firstFactorShape)
    var w2 = Tensor<Double>(zeros: layout.secondFactorShape)
    var spectra: [[Double]] = []
    for kk in 0..<4 {
      for ll in 0..<4 {
        let sigma = (0..<4).map { j in Double(8 - j) / Double(1 + j + kk + 2 * ll) }
        spectra.append(sigma)
        for j in 0..<4 {
          for i in 0..<4 {
            w2[ll, i, kk * 4 + j] = sigma[j] * h[i, (j + kk) % 4]  // w2[ll][:, kk·ρ + j] = σ_j u_j
            w1[kk, j * 4 + ll, i] = h[(j + ll) % 4, i]  // w1[kk][j·l + ll, :] = v_jᵀ
          }
        }
      }
    }
    return (try MonarchMatrix(layout: layout, w1: w1, w2: w2).dense(), spectra)
  }

  @Test(arguments: [1, 2, 3])
  func errorEqualsTheDiscardedSingularValues(rank: Int) throws {
    let (w, spectra) = try Self.matrixWithKnownSliceSpectra()
    let layout = try MonarchLayout(inFeatures: 16, outFeatures: 16, blocks: 4, rank: rank)
    let projection = try project(w, onto: layout)
    let expected = spectra.map { $0[rank...].map { $0 * $0 }.reduce(0, +) }.reduce(0, +).squareRoot()
    #expect(abs(projection.error - expected) <= 1e-12 * expected, "\(projection.error) vs \(expected)")
    let actual = (w - projection.matrix.dense()).frobeniusNorm
    #expect(abs(actual - expected) <= 1e-12 * expected)
  }

  @Test func noRandomPerturbationOfTheFactorsLowersTheError() throws {
    var generator = SeededGenerator(seed: 24)
    let w = Tensor<Double>.normal(shape: [12, 15], using: &generator)
    let layout = try MonarchLayout(inFeatures: 15, outFeatures: 12, inBlocks: 3, outBlocks: 4, rank: 2)
    let projection = try project(w, onto: layout)
    #expect(abs((w - projection.matrix.dense()).frobeniusNorm - projection.error) < 1e-12)
    for scale in [1e-1, 1e-3, 1e-5] {
      for _ in 0..<20 {
        let m = projection.matrix
        let w1 = m.w1 + Tensor<Double>.normal(shape: m.w1.shape, standardDeviation: scale, using: &generator)
        let w2 = m.w2 + Tensor<Double>.normal(shape: m.w2.shape, standardDeviation: scale, using: &generator)
        let perturbed = try MonarchMatrix(layout: layout, w1: w1, w2: w2)
        #expect((w - perturbed.dense()).frobeniusNorm >= projection.error * (1 - 1e-12))
      }
    }
  }

  @Test func rankOneLanczosMatchesTheFullLAPACKSpectrum() throws {
    // Rank-1 slices take the Lanczos path on a Float Gram matrix. The reference keeps every singular triple
    // (rank 16 = slice size, the LAPACK SVD path in Double) and truncates it to the top one per slice.
    var generator = SeededGenerator(seed: 25)
    let w = Tensor<Float>.normal(shape: [64, 64], using: &generator)
    let layout = try MonarchLayout(inFeatures: 64, outFeatures: 64, blocks: 4, rank: 1)
    let projection = try project(w, onto: layout)
    let wDouble = w.converted(to: Double.self)
    let residual = (wDouble - projection.matrix.dense().converted(to: Double.self)).frobeniusNorm
    #expect(abs(residual - projection.error) < 1e-5 * projection.error)
    let full = try project(wDouble, onto: MonarchLayout(inFeatures: 64, outFeatures: 64, blocks: 4, rank: 16))
    #expect(full.relativeError < 1e-10)
    var w1 = Tensor<Double>(zeros: layout.firstFactorShape)
    var w2 = Tensor<Double>(zeros: layout.secondFactorShape)
    for kk in 0..<4 {
      for ll in 0..<4 {
        // The top triple of slice (kk, ll) sits at j = 0: w1[kk] row ll, w2[ll] column 16·kk.
        for i in 0..<16 {
          w1[kk, ll, i] = full.matrix.w1[kk, ll, i]
          w2[ll, i, kk] = full.matrix.w2[ll, i, 16 * kk]
        }
      }
    }
    let exact = (wDouble - (try MonarchMatrix(layout: layout, w1: w1, w2: w2)).dense()).frobeniusNorm
    // The certified Lanczos path reaches the optimum (the uncertified 12 single-precision steps were 2e-5 off).
    #expect(abs(projection.error - exact) < 1e-8 * exact, "Lanczos \(projection.error) vs LAPACK \(exact)")
  }

  @Test func paddedShapesGiveZeroFactorsInThePadding() throws {
    var generator = SeededGenerator(seed: 26)
    let w = Tensor<Double>.normal(shape: [7, 10], using: &generator)
    let layout = try MonarchLayout(inFeatures: 10, outFeatures: 7, inBlocks: 3, outBlocks: 2, rank: 1)
    let projection = try project(w, onto: layout)
    // p = 4: the last in-block has 2 real columns; its padded columns in w1 are zero.
    for qq in 0..<layout.firstBlockRows { for pp in 2..<4 { #expect(projection.matrix.w1[2, qq, pp] == 0) } }
    // s = 4, l = 2: output 7 (ss = 3, ll = 1) is padding, so w2[1, 3, :] is zero.
    for rr in 0..<layout.secondBlockColumns { #expect(projection.matrix.w2[1, 3, rr] == 0) }
    #expect(abs((w - projection.matrix.dense()).frobeniusNorm - projection.error) < 1e-12)
  }

  @Test func badMatricesAreNamedErrors() throws {
    let layout = try MonarchLayout(inFeatures: 4, outFeatures: 4, blocks: 2)
    var w = Tensor<Float>(repeating: 1, shape: [4, 4])
    w[2, 3] = .nan
    do {
      _ = try project(w, onto: layout, name: "layer.weight")
      Issue.record("NaN accepted")
    } catch {
      guard case .nonFinite(let argument, let index, let value)? = error as? MonarchError else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(argument == "layer.weight" && index == 2 * 4 + 3 && value.isNaN)
    }
    #expect(throws: MonarchError.self) { try project(Tensor<Float>(zeros: [2, 2, 4]), onto: layout) }
    #expect(throws: MonarchError.self) { try project(Tensor<Float>(zeros: [4, 5]), onto: layout) }
  }
}
