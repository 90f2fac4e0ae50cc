import TensorCore
import TestSupport
import Testing

/// The error function by its Maclaurin series (|x| ≤ 3) or its Laplace continued fraction for erfc (|x| > 3),
/// in Double: an independent reference for the C library's `erf`.
private func referenceErf(_ x: Double) -> Double {
  let a = abs(x)
  if a <= 3 {
    // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    var term = a
    var sum = a
    var n = 0.0
    while abs(term) > 1e-18 * abs(sum) {
      n += 1
      term *= -a * a / n
      sum += term / (2 * n + 1)
    }
    return (x < 0 ? -1 : 1) * 2 / Double.pi.squareRoot() * sum
  }
  // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
  var fraction = a
  for k in stride(from: 60, through: 1, by: -1) { fraction = a + (Double(k) / 2) / fraction }
  let complement = Double.exponential(-a * a) / Double.pi.squareRoot() / fraction
  return (x < 0 ? -1 : 1) * (1 - complement)
}

@Suite("Training support in TensorCore")
struct TrainingSupportTests {
  @Test func errorFunctionMatchesSeriesAndContinuedFraction() {
    var worstDouble = 0.0
    var worstFloat = 0.0
    for i in -6000...6000 {
      let x = Double(i) / 1000
      let reference = referenceErf(x)
      worstDouble = max(worstDouble, abs(errorFunction(x) - reference))
      worstFloat = max(worstFloat, abs(Double(errorFunction(Float(x))) - referenceErf(Double(Float(x)))))
    }
    // The series cancels about three digits near |x| = 3.
    #expect(worstDouble < 1e-13, "Double erf worst error \(worstDouble)")
    #expect(worstFloat < 2e-7, "Float erf worst error \(worstFloat)")
    #expect(errorFunction(0.5) == 0.5204998778130465)  // erf(1/2) to 16 digits
    #expect(errorFunction(Float.infinity) == 1 && errorFunction(-Float.infinity) == -1)
  }

  @Test func slicedViewsAddressTheRightElements() {
    var matrix = Tensor<Float>(shape: [4, 6]) { Float($0) }
    matrix.withMutableMatrixView { view in
      let head = view.rows(1..<3).columns(2..<5)
      #expect(head.rows == 2 && head.columns == 3 && head.leadingDimension == 6)
      #expect(head[0, 0] == 8 && head[1, 2] == 16)
      #expect(!head.isContiguous && view.rows(1..<3).isContiguous)
      head.fill(with: -1)
    }
    let expected: [Float] = (0..<24).map { ((1..<3).contains($0 / 6) && (2..<5).contains($0 % 6)) ? -1 : Float($0) }
    #expect(matrix.scalars == expected)
    var target = Tensor<Float>(zeros: [2, 3])
    matrix.withMatrixView { source in
      target.withMutableMatrixView { $0.copy(from: source.rows(2..<4).columns(0..<3)) }
    }
    #expect(target.scalars == [12, 13, -1, 18, 19, 20])
  }

  @Test func workspaceReusesOneAlignedBlockAfterTheFirstStep() {
    let workspace = Workspace()
    var firstAddresses: [UInt] = []
    for step in 0..<4 {
      workspace.reset()
      var addresses: [UInt] = []
      for count in [3, 1000, 17, 4096] {
        let pointer = workspace.allocate(Float.self, count: count)
        addresses.append(UInt(bitPattern: pointer))
        #expect(UInt(bitPattern: pointer) % UInt(Workspace.alignment) == 0)
        pointer.update(repeating: Float(step), count: count)
      }
      if step == 1 { firstAddresses = addresses }
      if step >= 2 { #expect(addresses == firstAddresses, "step \(step) moved its buffers") }
    }
    // The first step grew the workspace block by block; the reset after it made one block; no more since.
    let afterWarmup = workspace.systemAllocations
    workspace.reset()
    _ = workspace.matrix(rows: 10, columns: 10)
    #expect(workspace.systemAllocations == afterWarmup)
    #expect(workspace.peakBytes == (16 + 1008 + 32 + 4096) * 4)
    let zeros = workspace.matrix(rows: 3, columns: 5, zeroed: true)
    #expect((0..<15).allSatisfy { zeros.base[$0] == 0 })
  }

  @Test func batchedGemmOverHeadsOfAPackedMatrix() {
    // Per-head products Q_h K_hᵀ where head h is columns h·d ..< (h+1)·d of packed 5 × 12 matrices.
    var generator = SeededGenerator(seed: 3)
    let (t, heads, d) = (5, 3, 4)
    let q = Tensor<Float>.normal(shape: [t, heads * d], using: &generator)
    let k = Tensor<Float>.normal(shape: [t, heads * d], using: &generator)
    var scores = Tensor<Float>(repeating: 9, shape: [heads * t, t])
    q.withMatrixView { qv in
      k.withMatrixView { kv in
        scores.withMutableMatrixView { sv in
          batchedGemm(count: heads, transposeB: true) { h in
            GEMMOperands(
              qv.columns(h * d..<(h + 1) * d), kv.columns(h * d..<(h + 1) * d), sv.rows(h * t..<(h + 1) * t))
          }
        }
      }
    }
    for h in 0..<heads {
      let qh = Tensor<Float>(shape: [t, d]) { q[$0 / d, h * d + $0 % d] }
      let kh = Tensor<Float>(shape: [t, d]) { k[$0 / d, h * d + $0 % d] }
      let reference = naiveMatmul(qh, kh.transposed())
      let actual = Tensor<Float>(shape: [t, t]) { scores[h * t + $0 / t, $0 % t] }
      let check = discrepancy(actual, reference, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
      #expect(check.isWithinTolerance, "head \(h): \(check)")
    }
  }

  @Test func rowAndColumnReductions() {
    let x = Tensor<Double>(shape: [2, 3], scalars: [1, -2, 7, 4, 5, -6])
    #expect(x.reducingEachRow(.sum).scalars == [6, 3])
    #expect(x.reducingEachRow(.mean).scalars == [2, 1])
    #expect(x.reducingEachRow(.maximum).scalars == [7, 5])
    #expect(x.reducingEachColumn(.sum).scalars == [5, 3, 1])
    #expect(x.reducingEachColumn(.mean).scalars == [2.5, 1.5, 0.5])
    #expect(x.reducingEachColumn(.maximum).scalars == [4, 5, 7])
    // A strided sub-view reduces only its own elements.
    var out = [Double](repeating: 0, count: 2)
    x.withMatrixView { view in out.withUnsafeMutableBufferPointer { reduceEachRow(view.columns(1..<3), .sum, into: $0.baseAddress!) } }
    #expect(out == [5, -1])
  }

  @Test func axpyAndScaleInPlace() {
    var y = Tensor<Float>(shape: [4], scalars: [1, 2, 3, 4])
    y.add(Tensor(shape: [4], scalars: [10, 20, 30, 40]), scaledBy: 0.5)
    #expect(y.scalars == [6, 12, 18, 24])
    y.scale(by: -0.25)
    #expect(y.scalars == [-1.5, -3, -4.5, -6])
    var z = Tensor<Double>(shape: [2], scalars: [1, 1])
    z.add(Tensor(shape: [2], scalars: [3, -3]), scaledBy: 2)
    z.scale(by: 0.5)
    #expect(z.scalars == [3.5, -2.5])
  }

  @Test func tokenTensorValidation() {
    let tokens = TokenTensor(shape: [2, 3], tokens: [5, 1, -100, 2, 2, 7])
    #expect(tokens[1, 2] == 7)
    #expect(throws: TokenTensorError.tokenOutOfRange(position: 2, token: -100, vocabularySize: 8)) {
      try tokens.validate(vocabularySize: 8)
    }
    #expect(throws: Never.self) { try tokens.validate(vocabularySize: 8, ignoring: -100) }
    #expect(throws: TokenTensorError.tokenOutOfRange(position: 5, token: 7, vocabularySize: 7)) {
      try tokens.validate(vocabularySize: 7, ignoring: -100)
    }
    #expect(TokenTensor(bytes: Array("hi".utf8)).tokens == [104, 105])
  }
}
