import ProbabilityMaps
import TensorCore

/// A map under test with a name for messages.
struct NamedMap: CustomStringConvertible, Sendable {
  let name: String
  let map: any ProbabilityMap
  var description: String { name }
}

/// Every deterministic map with the parameters the tests use.
let allMaps: [NamedMap] = [
  NamedMap(name: "softmax", map: Softmax.standard),
  NamedMap(name: "softmax T=0.5", map: try! Softmax(temperature: 0.5)),
  NamedMap(name: "taylor", map: TaylorSoftmax()),
  NamedMap(name: "top-3", map: try! TopKSoftmax(k: 3)),
  NamedMap(name: "sparsemax", map: Sparsemax()),
  NamedMap(name: "entmax15", map: Entmax15()),
  NamedMap(name: "entmax 1.25", map: try! Entmax(alpha: 1.25)),
  NamedMap(name: "entmax 3", map: try! Entmax(alpha: 3)),
]

/// Random scores `scale·N(0, 1)`.
func randomScores<S: ProbabilityScalar>(
  _ type: S.Type = S.self, rows: Int, n: Int, scale: Double = 1, seed: UInt64
) -> Tensor<S> {
  var generator = SeededGenerator(seed: seed)
  return Tensor<Double>.normal(shape: [rows, n], standardDeviation: scale, using: &generator).converted()
}

/// The gradient of `⟨v, map(x)⟩` with respect to `x` by central differences, in `Double`.
func finiteDifferenceGradient(
  _ function: (Tensor<Double>) throws -> Tensor<Double>, at x: Tensor<Double>, upstream v: Tensor<Double>,
  step: Double = 1e-6
) rethrows -> Tensor<Double> {
  var result = Tensor<Double>(zeros: x.shape)
  for i in 0..<x.count where x.scalars[i].isFinite {
    var plus = x
    var minus = x
    plus.scalars[i] += step
    minus.scalars[i] -= step
    let difference = try function(plus) - function(minus)
    var sum = 0.0
    for j in 0..<difference.count { sum += v.scalars[j] * difference.scalars[j] }
    result.scalars[i] = sum / (2 * step)
  }
  return result
}

/// The sparsemax of one row by the sort-based rule of Martins & Astudillo, written independently.
func sortedSparsemax(_ row: [Double]) -> [Double] {
  let z = row.sorted(by: >)
  var (cumulative, support, tau) = (0.0, 0, 0.0)
  for (k, value) in z.enumerated() {
    cumulative += value
    if Double(k + 1) * value > cumulative - 1 {
      support = k + 1
      tau = (cumulative - 1) / Double(support)
    }
  }
  return row.map { max($0 - tau, 0) }
}
