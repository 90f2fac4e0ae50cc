import CKernels
import Foundation
import ProbabilityMaps
import TensorCore
import TestSupport
import Testing

/// The instruction-set variants this machine can run (0 baseline, 2 AVX2+FMA, 3 AVX-512), widest last.
private let availableVectorLevels: [Int32] = {
  let widest = sml_cpu_vector_level()
  return [0, 2, 3].filter { $0 <= widest }
}()

/// `exp` of many values by the float kernel at one vector level.
private func exponentials(_ values: [Float], level: Int32) -> [Float] {
  values.withUnsafeBufferPointer { x in
    [Float](unsafeUninitializedCapacity: x.count) { out, count in
      sml_exp_f(x.baseAddress!, out.baseAddress!, x.count, level)
      count = x.count
    }
  }
}

/// `exp` of many values by the double kernel at one vector level.
private func exponentials(_ values: [Double], level: Int32) -> [Double] {
  values.withUnsafeBufferPointer { x in
    [Double](unsafeUninitializedCapacity: x.count) { out, count in
      sml_exp_d(x.baseAddress!, out.baseAddress!, x.count, level)
      count = x.count
    }
  }
}

/// Applies a float row kernel `(p, v, out, n)` to every row of `n` elements of `p` and `v` (`v` may be
/// empty for a kernel of one input, which then receives `p` twice).
private func eachRow(
  _ p: [Float], _ v: [Float] = [], n: Int,
  _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
) -> [Float] {
  let second = v.isEmpty ? p : v
  var out = [Float](repeating: .nan, count: p.count)
  p.withUnsafeBufferPointer { p in
    second.withUnsafeBufferPointer { v in
      out.withUnsafeMutableBufferPointer { out in
        for start in stride(from: 0, to: p.count, by: n) {
          kernel(p.baseAddress! + start, v.baseAddress! + start, out.baseAddress! + start, n)
        }
      }
    }
  }
  return out
}

/// The 1.5-entmax of one row by the sort-based closed form of Peters et al., written independently.
private func sortedEntmax15(_ row: [Double]) -> [Double] {
  let top = row.max()!
  let z = row.map { ($0 - top) / 2 }.filter { $0 > -.infinity }.sorted(by: >)
  var (sum, squares, tau) = (0.0, 0.0, -1.0)
  for (k, value) in z.enumerated() {
    sum += value
    squares += value * value
    let size = Double(k + 1)
    let mean = sum / size
    let candidate = mean - max(0, 1 / size - (squares / size - mean * mean)).squareRoot()
    if candidate <= value { tau = candidate }
  }
  return row.map {
    let d = ($0 - top) / 2 - tau
    return d > 0 ? d * d : 0
  }
}

/// The softmax of one row with the library `exp` in `Double`.
private func naiveSoftmax(_ row: [Double]) -> [Double] {
  let top = row.max()!
  let e = row.map { Foundation.exp($0 - top) }
  let total = e.reduce(0, +)
  return e.map { $0 / total }
}

/// The entmax-family backward `g ⊙ (v − ⟨g, v⟩/Σg)` in `Double`.
private func naiveFamilyBackward(weights g: [Double], gradient v: [Double]) -> [Double] {
  let total = g.reduce(0, +)
  let mean = zip(g, v).map { $0 * $1 }.reduce(0, +) / total
  return zip(g, v).map { $0 * ($1 - mean) }
}

/// The rows of a `rows × n` tensor as `Double` arrays.
private func doubleRows<S: ProbabilityScalar>(_ tensor: Tensor<S>) -> [[Double]] {
  let n = tensor.shape.last!
  return (0..<tensor.count / n).map { row in tensor.scalars[row * n..<(row + 1) * n].map { Double($0) } }
}

@Suite("C row kernels: exponentials, instruction-set variants, sparse thresholds")
struct KernelTests {
  @Test func floatExponentialIsWithinTwoUlpsOnADenseSweep() {
    let count = 300_001
    let (low, high) = (-103.9, 88.72)
    let x = (0..<count).map { Float(low + (high - low) * Double($0) / Double(count - 1)) }
    for level in availableVectorLevels {
      let y = exponentials(x, level: level)
      var worstUlps = 0.0
      var subnormalMiss = 0.0
      for (value, result) in zip(x, y) {
        let reference = Foundation.exp(Double(value))
        if reference >= Double(Float.leastNormalMagnitude) {
          worstUlps = max(worstUlps, abs(Double(result) - reference) / Double(Float(reference).ulp))
        } else {
          subnormalMiss = max(subnormalMiss, abs(Double(result) - reference))
        }
      }
      #expect(worstUlps <= 2, "level \(level): worst error \(worstUlps) ulp")
      #expect(subnormalMiss <= Double(Float.leastNonzeroMagnitude), "level \(level): subnormal error \(subnormalMiss)")
      let special = exponentials([-Float.infinity, .nan, .infinity, 0, 89, -200, -87], level: level)
      #expect(special[0] == 0 && special[1].isNaN && special[2] == .infinity, "level \(level): \(special)")
      #expect(special[3] == 1 && special[4] == .infinity && special[5] == 0 && special[6] > 0, "level \(level)")
    }
  }

  @Test func doubleExponentialIsWithinTwoUlpsOnADenseSweep() {
    let count = 200_001
    let sweeps: [(Double, Double)] = [(-745, 709.7), (-0.5, 0.5)]
    for level in availableVectorLevels {
      for (low, high) in sweeps {
        let x = (0..<count).map { low + (high - low) * Double($0) / Double(count - 1) }
        var worstUlps = 0.0
        for (value, result) in zip(x, exponentials(x, level: level)) {
          let reference = Foundation.exp(value)
          guard reference >= Double.leastNormalMagnitude else { continue }
          worstUlps = max(worstUlps, abs(result - reference) / reference.ulp)
        }
        #expect(worstUlps <= 2, "level \(level), [\(low), \(high)]: worst error \(worstUlps) ulp")
      }
      let special = exponentials([-Double.infinity, .nan, .infinity, 0, 710, -800], level: level)
      #expect(special[0] == 0 && special[1].isNaN && special[2] == .infinity, "level \(level): \(special)")
      #expect(special[3] == 1 && special[4] == .infinity && special[5] == 0, "level \(level): \(special)")
    }
  }

  /// Every variant of every row kernel against independent `Double` references, on rows whose length is
  /// not a multiple of the vector width and with masked (`-inf`) scores.
  @Test func everyVariantMatchesIndependentReferences() {
    let n = 1003
    var scoreTensor = randomScores(Float.self, rows: 4, n: n, scale: 1.5, seed: 21)
    for i in stride(from: 5, to: scoreTensor.count, by: 97) { scoreTensor.scalars[i] = -.infinity }
    let upstreamTensor = randomScores(Float.self, rows: 4, n: n, seed: 22)
    let (x, v) = (scoreTensor.scalars, upstreamTensor.scalars)
    let (scores, upstream) = (doubleRows(scoreTensor), doubleRows(upstreamTensor))
    let softmax = scores.map(naiveSoftmax)
    let sparsemax = scores.map(sortedSparsemax)
    let entmax15 = scores.map(sortedEntmax15)
    var workspace = [Double](repeating: 0, count: n)
    for level in availableVectorLevels {
      let forwards: [(String, [Float], sml_backward_weights, [[Double]])] = workspace.withUnsafeMutableBufferPointer {
        let scratch = $0.baseAddress!
        return [
          ("softmax", eachRow(x, n: n) { sml_softmax_row_f($0, $2, $3, 1, level) }, SML_WEIGHTS_AS_GIVEN, softmax),
          ("sparsemax", eachRow(x, n: n) { sml_sparsemax_row_f($0, $2, $3, scratch, level) }, SML_WEIGHTS_SUPPORT,
           sparsemax),
          ("entmax15", eachRow(x, n: n) { sml_entmax15_row_f($0, $2, $3, scratch, level) }, SML_WEIGHTS_SQUARE_ROOT,
           entmax15),
        ]
      }
      for (name, p, weights, reference) in forwards {
        let check = discrepancy(p, reference.flatMap { $0 }, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
        #expect(check.isWithinTolerance, "level \(level) \(name) forward: \(check)")
        let g: [Double] = p.map {
          let value = Double($0)
          return name == "sparsemax" ? (value > 0 ? 1 : 0) : name == "entmax15" ? value.squareRoot() : value
        }
        let expected = (0..<upstream.count).flatMap {
          naiveFamilyBackward(weights: Array(g[$0 * n..<($0 + 1) * n]), gradient: upstream[$0])
        }
        let gradient = eachRow(p, v, n: n) { sml_simplex_backward_row_f($0, $1, $2, $3, 1, weights, level) }
        let backward = discrepancy(gradient, expected, absoluteTolerance: 1e-5, relativeTolerance: 1e-4)
        #expect(backward.isWithinTolerance, "level \(level) \(name) backward: \(backward)")
      }
      let logP = eachRow(x, n: n) { sml_log_softmax_row_f($0, $2, $3, 1, level) }
      let logReference = softmax.flatMap { $0.map { Foundation.log($0) } }
      let logCheck = discrepancy(logP, logReference, absoluteTolerance: 1e-5, relativeTolerance: 1e-6)
      #expect(logCheck.isWithinTolerance, "level \(level) log-softmax: \(logCheck)")
      let logGradient = eachRow(logP, v, n: n) { sml_log_softmax_backward_row_f($0, $1, $2, $3, 1, level) }
      let logExpected = zip(softmax, upstream).flatMap { p, u in
        let total = u.reduce(0, +)
        return zip(p, u).map { $0 == 0 ? 0 : $1 - $0 * total }
      }
      let logBackward = discrepancy(logGradient, logExpected, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
      #expect(logBackward.isWithinTolerance, "level \(level) log-softmax backward: \(logBackward)")
    }
  }

  /// Rows where the threshold bound from the lane maxima matters: huge supports, ties across lanes, a large
  /// offset (coarse `Float` spacing), a single survivor, and lengths below one vector.
  @Test func sparseThresholdsMatchSortBasedReferencesOnHardRows() throws {
    var generator = SeededGenerator(seed: 23)
    let wide = Tensor<Double>.normal(shape: [1, 997], standardDeviation: 0.05, using: &generator).scalars
    let ties = (0..<640).map { Double($0 % 5 == 0 ? 2 : $0 % 3) * 0.4 }
    let offset = Tensor<Double>.normal(shape: [1, 300], using: &generator).scalars.map { $0 + 1.0e4 }
    let single = (0..<129).map { $0 == 77 ? 50.0 : Double($0 % 7) }
    let short = [0.3, 0.1, 0.25, -0.2, 0.29]
    for row in [wide, ties, offset, single, short] {
      for (name, map, reference) in [
        ("sparsemax", Sparsemax() as any ProbabilityMap, sortedSparsemax(row)),
        ("entmax15", Entmax15(), sortedEntmax15(row)),
      ] {
        let inDouble = try map.forward(Tensor<Double>(shape: [1, row.count], scalars: row))
        let check = discrepancy(inDouble.scalars, reference, absoluteTolerance: 1e-12, relativeTolerance: 1e-10)
        #expect(check.isWithinTolerance, "\(name), Double, n = \(row.count): \(check)")
        let floatRow = row.map { Float($0) }
        let floatReference = name == "sparsemax"
          ? sortedSparsemax(floatRow.map { Double($0) }) : sortedEntmax15(floatRow.map { Double($0) })
        let inFloat = try map.forward(Tensor<Float>(shape: [1, row.count], scalars: floatRow))
        let floatCheck = discrepancy(inFloat.scalars, floatReference, absoluteTolerance: 2e-6, relativeTolerance: 1e-5)
        #expect(floatCheck.isWithinTolerance, "\(name), Float, n = \(row.count): \(floatCheck)")
      }
    }
  }
}
