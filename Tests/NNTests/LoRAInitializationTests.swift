import Foundation
import NN
import TensorCore
import TestSupport
import Testing

// MARK: - Independent references shared by the LoRA initialization tests

/// A singular value decomposition computed by the one-sided Jacobi (Hestenes) method in `Double`, independent of
/// LAPACK: columns of the matrix are rotated pairwise until orthogonal; their norms are the singular values.
struct JacobiSVD {
  /// `m × k` left singular vectors, `k = min(m, n)`.
  let u: Tensor<Double>
  /// The `k` singular values, descending.
  let values: [Double]
  /// `k × n` right singular vectors as rows.
  let vt: Tensor<Double>

  init<S: TensorScalar>(_ matrix: Tensor<S>) {
    let wide = matrix.rows < matrix.columns
    let a = (wide ? matrix.transposed() : matrix).converted(to: Double.self)
    let (m, n) = (a.rows, a.columns)
    // Column-major copies: column j of the matrix at j·m, column j of V at j·n.
    var columns = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { columns[j * m + i] = a.scalars[i * n + j] } }
    var v = [Double](repeating: 0, count: n * n)
    for j in 0..<n { v[j * n + j] = 1 }
    func rotate(_ x: inout [Double], length: Int, _ p: Int, _ q: Int, _ c: Double, _ s: Double) {
      for i in 0..<length {
        let (xp, xq) = (x[p * length + i], x[q * length + i])
        x[p * length + i] = c * xp - s * xq
        x[q * length + i] = s * xp + c * xq
      }
    }
    for _ in 0..<60 {
      var rotated = false
      for p in 0..<n {
        for q in (p + 1)..<n {
          var (alpha, beta, gamma) = (0.0, 0.0, 0.0)
          for i in 0..<m {
            let (x, y) = (columns[p * m + i], columns[q * m + i])
            alpha += x * x
            beta += y * y
            gamma += x * y
          }
          guard abs(gamma) > 1e-16 * (alpha * beta).squareRoot(), gamma != 0 else { continue }
          rotated = true
          let zeta = (beta - alpha) / (2 * gamma)
          let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
          let c = 1 / (1 + t * t).squareRoot()
          rotate(&columns, length: m, p, q, c, c * t)
          rotate(&v, length: n, p, q, c, c * t)
        }
      }
      if !rotated { break }
    }
    let norms = (0..<n).map { j in (0..<m).reduce(0.0) { $0 + columns[j * m + $1] * columns[j * m + $1] }.squareRoot() }
    let order = (0..<n).sorted { norms[$0] > norms[$1] }
    let left = Tensor<Double>(shape: [m, n]) { flat in
      let (i, j) = flat.quotientAndRemainder(dividingBy: n)
      return norms[order[j]] > 0 ? columns[order[j] * m + i] / norms[order[j]] : 0
    }
    let right = Tensor<Double>(shape: [n, n]) { flat in
      let (j, i) = flat.quotientAndRemainder(dividingBy: n)
      return v[order[j] * n + i]
    }
    values = order.map { norms[$0] }
    (u, vt) = wide ? (right.transposed(), left.transposed()) : (left, right)
  }

  /// `Σ_{i ∈ indices} σᵢ · uᵢ vᵢᵀ`; over `0..<k` the best rank-`k` approximation.
  func sum(over indices: some Sequence<Int>) -> Tensor<Double> {
    let (m, n, k) = (u.rows, vt.columns, values.count)
    var result = Tensor<Double>(zeros: [m, n])
    for index in indices {
      let weight = values[index]
      for i in 0..<m {
        for j in 0..<n { result.scalars[i * n + j] += weight * u.scalars[i * k + index] * vt.scalars[index * n + j] }
      }
    }
    return result
  }
}

/// `‖x − reference‖ / ‖reference‖` in Frobenius norm.
func relativeError(_ x: Tensor<Double>, _ reference: Tensor<Double>) -> Double {
  (x - reference).frobeniusNorm / reference.frobeniusNorm
}

/// A matrix of Float-representable standard normal samples.
func normalMatrix(_ rows: Int, _ columns: Int, seed: UInt64, scale: Double = 1) -> Tensor<Float> {
  Tensor(shape: [rows, columns], scalars: samples(rows * columns, seed: seed, scale: scale).map { Float($0) })
}

/// `xᵀ x` of a Float matrix in Double, naively.
func gram(_ x: Tensor<Float>) -> Tensor<Double> { naiveMatmul(x.transposed(), x) }

/// `W_frozen + s·B·A` in Double, naively: the effective weight of an adapted layer.
func effectiveWeight(_ result: LoRAInitializationResult, base: Tensor<Float>, scale: Double) -> Tensor<Double> {
  let frozen = (result.frozenWeight ?? base).converted(to: Double.self)
  return frozen + naiveMatmul(result.factors.b, result.factors.a).map { scale * $0 }
}

// MARK: - Plain LoRA and PEFT's gaussian

@Suite("LoRA initializations: Kaiming-uniform, gaussian, names and errors")
struct LoRAInitializationTests {
  @Test func kaimingUniformAIsUniformOnPlusMinusOneOverRootInAndBIsZero() throws {
    let (out, input, r) = (24, 400, 16)
    let weight = normalMatrix(out, input, seed: 1)
    var generator = SeededGenerator(seed: 7)
    let result = try LoRAInitialization.lora.initialize(
      weight: weight, scaling: LoRAScaling(rank: r, alpha: 16), module: "fc", using: &generator)
    #expect(result.frozenWeight == nil)
    #expect(result.factors.a.shape == [r, input] && result.factors.b.shape == [out, r])
    #expect(result.factors.b.scalars.allSatisfy { $0 == 0 })
    let bound = Double(Float(1 / Double(input).squareRoot()))
    let a = result.factors.a.scalars.map { Double($0) }
    #expect(a.allSatisfy { abs($0) <= bound }, "every sample inside ±1/√in (rounded to Float)")
    // 6400 samples: the extremes come within 1% of the bound, and the variance bound²/3 within 5% (4.5σ).
    #expect(a.max()! > 0.99 * bound && a.min()! < -0.99 * bound)
    let variance = a.reduce(0) { $0 + $1 * $1 } / Double(a.count)
    #expect(abs(variance / (bound * bound / 3) - 1) < 0.05, "variance \(variance) vs \(bound * bound / 3)")
  }

  @Test func gaussianAHasStandardDeviationOneOverRank() throws {
    let (out, input, r) = (10, 1000, 8)
    var generator = SeededGenerator(seed: 3)
    let result = try LoRAInitialization.gaussian.initialize(
      weight: Tensor(zeros: [out, input]), scaling: LoRAScaling(rank: r, alpha: 8), module: "fc", using: &generator)
    #expect(result.frozenWeight == nil && result.factors.b.scalars.allSatisfy { $0 == 0 })
    let a = result.factors.a.scalars.map { Double($0) }
    let mean = a.reduce(0, +) / Double(a.count)
    let deviation = (a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(a.count - 1)).squareRoot()
    // 8000 samples: the standard error of the deviation is 0.8%, of the mean 0.0014; 5σ bounds.
    #expect(abs(deviation * Double(r) - 1) < 0.04, "deviation \(deviation), expected \(1 / Double(r))")
    #expect(abs(mean) < 0.007)
  }

  @Test func sameSeedSameFactors() throws {
    let weight = normalMatrix(6, 9, seed: 2)
    let scaling = try LoRAScaling(rank: 2, alpha: 4)
    var first = SeededGenerator(seed: 11)
    var second = SeededGenerator(seed: 11)
    let one = try LoRAInitialization.lora.initialize(weight: weight, scaling: scaling, module: "fc", using: &first)
    let two = try LoRAInitialization.lora.initialize(weight: weight, scaling: scaling, module: "fc", using: &second)
    #expect(one == two)
  }

  @Test func namesMatchTheCommandLineAndPEFT() throws {
    for name in LoRAInitialization.names { #expect(LoRAInitialization(name: name)?.name == name) }
    #expect(LoRAInitialization(name: "lora-ga") == .loraGA(LoRAGAOptions()))
    #expect(LoRAInitialization(name: "pissa_niter_4") == .pissa(PiSSAOptions(svd: .randomized(powerIterations: 4))))
    #expect(LoRAInitialization(name: "pissa_niter_x") == nil && LoRAInitialization(name: "olora") == nil)
    let peft = ["lora": nil, "gaussian": "gaussian", "lora-ga": "lora_ga", "lora-ga-peft": "lora_ga", "pissa": "pissa"]
    for (name, value) in peft { #expect(LoRAInitialization(name: name)?.peftInitLoRAWeights == value, "\(name)") }
    #expect(LoRAInitialization(name: "pissa_niter_16")?.peftInitLoRAWeights == "pissa_niter_16")
    #expect(LoRAInitialization.loraGA(LoRAGAOptions()).needsGradient && !LoRAInitialization.pissa(PiSSAOptions()).needsGradient)
    #expect(LoRAInitialization.pissa(PiSSAOptions()).changesBaseWeight && !LoRAInitialization.gaussian.changesBaseWeight)
    #expect(LoRAGADirection.allCases.map(\.rawValue) == ["ArB2r", "A2rBr", "ArBr", "random"])
    #expect(LoRAGAOptions.Scale.allCases.map(\.rawValue) == ["stable", "gd", "unit", "weightS"])
    #expect(PEFTLoRAGAOptions.Scale.allCases.map(\.rawValue) == ["stable", "weight_svd", "gd_scale", "unit"])
  }

  @Test func codableRoundTripAndDefaults() throws {
    let methods: [LoRAInitialization] = [
      .lora, .gaussian,
      .loraGA(LoRAGAOptions(direction: .random, scale: .weightS, stableGamma: 4, normClip: true, svd: .exact)),
      .loraGAPEFT(PEFTLoRAGAOptions(direction: .arBr, scale: .weightSVD, svd: .randomized(powerIterations: 2))),
      .pissa(PiSSAOptions(svd: .randomized(powerIterations: 3))),
    ]
    for method in methods {
      let data = try JSONEncoder().encode(method)
      #expect(try JSONDecoder().decode(LoRAInitialization.self, from: data) == method)
    }
    let text = String(decoding: try JSONEncoder().encode(LoRAInitialization.lora), as: UTF8.self)
    #expect(text == #"{"method":"lora"}"#)
    let partial = Data(#"{"method": "lora-ga", "options": {"normClip": true}}"#.utf8)
    #expect(try JSONDecoder().decode(LoRAInitialization.self, from: partial) == .loraGA(LoRAGAOptions(normClip: true)))
    let bare = Data(#"{"method": "pissa"}"#.utf8)
    #expect(try JSONDecoder().decode(LoRAInitialization.self, from: bare) == .pissa(PiSSAOptions()))
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(LoRAInitialization.self, from: Data(#"{"method": "loha"}"#.utf8))
    }
  }

  @Test func automaticSVDIsExactUpToTheSizeLimit() {
    let limit = LoRASVDMethod.exactSizeLimit
    #expect(LoRASVDMethod.automatic.resolved(rows: limit, columns: 4 * limit) == .exact)
    #expect(
      LoRASVDMethod.automatic.resolved(rows: limit + 1, columns: limit + 5)
        == .randomized(powerIterations: LoRASVDMethod.defaultPowerIterations))
    #expect(LoRASVDMethod.exact.resolved(rows: 5000, columns: 5000) == .exact)
  }

  // MARK: Errors

  private func initialize(
    _ method: LoRAInitialization, weight: Tensor<Float>, gradient: Tensor<Float>? = nil, rank: Int
  ) -> LoRAError? {
    var generator = SeededGenerator(seed: 0)
    do {
      var scaling = try LoRAScaling(rank: 1, alpha: 8)
      scaling.rank = rank
      _ = try method.initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: "blocks.0.mlp.fc", using: &generator)
      return nil
    } catch {
      return error
    }
  }

  @Test func rankOutsideOneToMinimumExtentNamesTheModule() {
    let weight = normalMatrix(6, 4, seed: 1)
    let methods: [LoRAInitialization] = [.lora, .gaussian, .pissa(PiSSAOptions(svd: .exact))]
    for method in methods {
      #expect(initialize(method, weight: weight, rank: 0) == .invalidRank(module: "blocks.0.mlp.fc", rank: 0, maximum: 4))
      #expect(initialize(method, weight: weight, rank: 5) == .invalidRank(module: "blocks.0.mlp.fc", rank: 5, maximum: 4))
      #expect(initialize(method, weight: weight, rank: 4) == nil)
    }
    let error = initialize(.lora, weight: weight, rank: 5)
    #expect(error?.description == "blocks.0.mlp.fc: LoRA rank 5 is outside 1...4 (min(in, out) of the layer)")
    for method in [LoRAInitialization.loraGA(LoRAGAOptions()), .loraGAPEFT(PEFTLoRAGAOptions())] {
      #expect(
        initialize(method, weight: weight, gradient: weight, rank: 5)
          == .invalidRank(module: "blocks.0.mlp.fc", rank: 5, maximum: 4))
      #expect(
        initialize(method, weight: weight, gradient: weight, rank: 3)
          == .gradientRankTooLarge(module: "blocks.0.mlp.fc", rank: 3, maximum: 2))
      #expect(initialize(method, weight: weight, gradient: weight, rank: 2) == nil)
    }
  }

  @Test func badGradientsAndWeightsAreClearErrors() {
    let module = "blocks.0.mlp.fc"
    let weight = normalMatrix(6, 4, seed: 1)
    let loraGA = LoRAInitialization.loraGA(LoRAGAOptions())
    for method in [loraGA, .loraGAPEFT(PEFTLoRAGAOptions())] {
      let name = method == loraGA ? "LoRA-GA" : "LoRA-GA (PEFT)"
      #expect(initialize(method, weight: weight, rank: 1) == .missingGradient(module: module, initialization: name))
      #expect(
        initialize(method, weight: weight, gradient: normalMatrix(4, 6, seed: 2), rank: 1)
          == .gradientShapeMismatch(module: module, weight: [6, 4], gradient: [4, 6]))
      var bad = weight
      bad[2, 3] = .nan
      #expect(initialize(method, weight: weight, gradient: bad, rank: 1) == .nonFiniteInput(module: module, tensor: "gradient"))
      bad[2, 3] = .infinity
      #expect(initialize(method, weight: bad, gradient: weight, rank: 1) == .nonFiniteInput(module: module, tensor: "weight"))
    }
    var bad = weight
    bad[0, 0] = -.infinity
    #expect(initialize(.pissa(PiSSAOptions()), weight: bad, rank: 1) == .nonFiniteInput(module: module, tensor: "weight"))
    #expect(initialize(.lora, weight: Tensor(zeros: [6]), rank: 1) == .weightNotAMatrix(module: module, shape: [6]))
    #expect(
      initialize(.pissa(PiSSAOptions()), weight: Tensor(zeros: [0, 3]), rank: 1)
        == .weightNotAMatrix(module: module, shape: [0, 3]))
    #expect(
      initialize(.loraGA(LoRAGAOptions(stableGamma: 0)), weight: weight, gradient: weight, rank: 1)
        == .invalidInitializationParameter(module: module, name: "stableGamma", value: 0))
    #expect(
      initialize(.pissa(PiSSAOptions(svd: .randomized(powerIterations: -1))), weight: weight, rank: 1)
        == .invalidInitializationParameter(module: module, name: "powerIterations", value: -1))
    let description = LoRAError.gradientShapeMismatch(module: module, weight: [6, 4], gradient: [4, 6]).description
    #expect(description == "blocks.0.mlp.fc: the gradient of shape [4, 6] does not match the weight's shape [6, 4]")
  }
}
