import CKernels
import TensorCore
import Testing

@Suite("The vectorized AdamW update against the scalar formula")
struct AdamWKernelTests {
  /// Every vector level gives the bits of the formula written out one operation at a time, on a length with
  /// a partial last vector and on moments, gradients and parameters spread over many binades.
  @Test(arguments: [Int32(0), 2, 3])
  func matchesTheScalarFormulaBitForBit(level: Int32) {
    let n = 1000 + 13
    var generator = SeededGenerator(seed: 9)
    let values = (0..<n).map { _ in spread(3, &generator) }
    let gradients = (0..<n).map { _ in spread(1e-2, &generator) }
    let first = (0..<n).map { _ in spread(1e-3, &generator) }
    let second = (0..<n).map { _ in abs(spread(1e-5, &generator)) }
    let c = sml_adamw_coefficients(
      decay: 0.99999, one_minus_beta1: Float(1 - 0.9), beta2: 0.999, one_minus_beta2: Float(1 - 0.999),
      step_size: 3e-4, correction: 0.0447, epsilon: 1e-8)
    var (p, m, v) = (values, first, second)
    sml_adamw_update_f(&p, gradients, &m, &v, n, c, level)
    for i in 0..<n {
      let decayed = values[i] * c.decay
      let m1 = first[i] + c.one_minus_beta1 * (gradients[i] - first[i])
      let v1 = c.beta2 * second[i] + c.one_minus_beta2 * gradients[i] * gradients[i]
      let p1 = decayed - c.step_size * (m1 / (v1.squareRoot() / c.correction + c.epsilon))
      #expect(p[i].bitPattern == p1.bitPattern && m[i].bitPattern == m1.bitPattern && v[i].bitPattern == v1.bitPattern)
    }
  }
}

/// `±scale·u/2ᵏ` with `u` uniform in [0, 1) and `k` uniform in 0..<8: values spread over many binades.
private func spread(_ scale: Float, _ generator: inout SeededGenerator) -> Float {
  let bits = generator.next()
  let u = Float(bits >> 40) / Float(1 << 24)
  return (bits & 1 == 0 ? scale : -scale) * u / Float(1 << ((bits >> 8) & 7))
}
