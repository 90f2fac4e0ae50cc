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

/// Runs `body` once per available instruction-set variant of the C kernels, then lifts the cap again.
private func forEachVectorLevel(_ body: (Int32) throws -> Void) rethrows {
  defer { sml_cpu_limit_vector_level(3) }
  for level in availableVectorLevels {
    sml_cpu_limit_vector_level(level)
    try body(level)
  }
}

/// `exp` of many values through the public 16-lane entry point.
private func exponentials<S: ProbabilityScalar>(_ values: [S]) -> [S] {
  stride(from: 0, to: values.count, by: 16).flatMap { start -> [S] in
    var lanes = SIMD16<S>(repeating: 0)
    let end = min(start + 16, values.count)
    for i in start..<end { lanes[i - start] = values[i] }
    let result = S.exponentials(lanes)
    return (0..<(end - start)).map { result[$0] }
  }
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

@Suite("C row kernels: exponentials, instruction-set variants, sparse thresholds", .serialized)
struct KernelTests {
  @Test func floatExponentialIsWithinTwoUlpsOnADenseSweep() {
    let count = 300_001
    let (low, high) = (-103.9, 88.72)
    let x = (0..<count).map { Float(low + (high - low) * Double($0) / Double(count - 1)) }
    forEachVectorLevel { level in
      let y = exponentials(x)
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
      let special = exponentials([-Float.infinity, .nan, .infinity, 0, 89, -200, -87])
      #expect(special[0] == 0 && special[1].isNaN && special[2] == .infinity, "level \(level): \(special)")
      #expect(special[3] == 1 && special[4] == .infinity && special[5] == 0 && special[6] > 0, "level \(level)")
    }
  }

  @Test func doubleExponentialIsWithinTwoUlpsOnADenseSweep() {
    let count = 200_001
    let sweeps: [(Double, Double)] = [(-745, 709.7), (-0.5, 0.5)]
    forEachVectorLevel { level in
      for (low, high) in sweeps {
        let x = (0..<count).map { low + (high - low) * Double($0) / Double(count - 1) }
        var worstUlps = 0.0
        for (value, result) in zip(x, exponentials(x)) {
          let reference = Foundation.exp(value)
          guard reference >= Double.leastNormalMagnitude else { continue }
          worstUlps = max(worstUlps, abs(result - reference) / reference.ulp)
        }
        #expect(worstUlps <= 2, "level \(level), [\(low), \(high)]: worst error \(worstUlps) ulp")
      }
      let special = exponentials([-Double.infinity, .nan, .infinity, 0, 710, -800])
      #expect(special[0] == 0 && special[1].isNaN && special[2] == .infinity, "level \(level): \(special)")
      #expect(special[3] == 1 && special[4] == .infinity && special[5] == 0, "level \(level): \(special)")
    }
  }

  /// Every variant of every row kernel against independent `Double` references, on rows whose length is
  /// not a multiple of the vector width and with masked (`-inf`) scores.
  @Test func everyVariantMatchesIndependentReferences() throws {
    var x = randomScores(Float.self, rows: 4, n: 1003, scale: 1.5, seed: 21)
    for i in stride(from: 5, to: x.count, by: 97) { x.scalars[i] = -.infinity }
    let v = randomScores(Float.self, rows: 4, n: 1003, seed: 22)
    let (scores, upstream) = (doubleRows(x), doubleRows(v))
    let softmax = scores.map(naiveSoftmax)
    let sparsemax = scores.map(sortedSparsemax)
    let entmax15 = scores.map(sortedEntmax15)
    try forEachVectorLevel { level in
      let forwards: [(String, any ProbabilityMap, [[Double]])] = [
        ("softmax", Softmax.standard, softmax), ("sparsemax", Sparsemax(), sparsemax),
        ("entmax15", Entmax15(), entmax15),
      ]
      for (name, map, reference) in forwards {
        let p = try map.forward(x)
        let check = discrepancy(p.scalars, reference.flatMap { $0 }, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
        #expect(check.isWithinTolerance, "level \(level) \(name) forward: \(check)")
        let weights: [[Double]] = doubleRows(p).map { row in
          row.map { name == "sparsemax" ? ($0 > 0 ? 1 : 0) : name == "entmax15" ? $0.squareRoot() : $0 }
        }
        let expected = zip(weights, upstream).flatMap { naiveFamilyBackward(weights: $0, gradient: $1) }
        let gradient = try map.backward(scores: x, output: p, gradient: v)
        let backward = discrepancy(gradient.scalars, expected, absoluteTolerance: 1e-5, relativeTolerance: 1e-4)
        #expect(backward.isWithinTolerance, "level \(level) \(name) backward: \(backward)")
      }
      let logP = try LogSoftmax().forward(x)
      let logReference = softmax.flatMap { $0.map { Foundation.log($0) } }
      let logCheck = discrepancy(logP.scalars, logReference, absoluteTolerance: 1e-5, relativeTolerance: 1e-6)
      #expect(logCheck.isWithinTolerance, "level \(level) log-softmax: \(logCheck)")
      let logGradient = try LogSoftmax().backward(scores: x, output: logP, gradient: v)
      let logExpected = zip(softmax, upstream).flatMap { p, u in
        let total = u.reduce(0, +)
        return zip(p, u).map { $0 == 0 ? 0 : $1 - $0 * total }
      }
      let logBackward = discrepancy(logGradient.scalars, logExpected, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
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
