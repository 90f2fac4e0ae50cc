import NN
import TensorCore
import TestSupport
import Testing

/// Central finite differences of a Double function: `(f(x + h eᵢ) − f(x − h eᵢ)) / 2h` for every `i`.
func finiteDifferenceGradient(of f: ([Double]) -> Double, at x: [Double], step h: Double = 1e-6) -> [Double] {
  var point = x
  return x.indices.map { i in
    point[i] = x[i] + h
    let plus = f(point)
    point[i] = x[i] - h
    let minus = f(point)
    point[i] = x[i]
    return (plus - minus) / (2 * h)
  }
}

/// Normal samples in Double that are exactly representable in Float, so Float layers and Double references
/// see the same inputs.
func samples(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
  var generator = SeededGenerator(seed: seed)
  return (0..<count).map { _ in Double(Float(scale * generator.nextNormal())) }
}

/// `Σ wᵢ yᵢ`, the scalar objective whose gradient with respect to `y` is `w`.
func weightedSum(_ y: [Double], _ w: [Double]) -> Double { zip(y, w).reduce(0) { $0 + $1.0 * $1.1 } }

/// Expects `actual` (Float, analytic) to match `reference` (Double) within `tolerance` relative to the
/// reference's largest magnitude.
func expectClose(
  _ actual: some Sequence<Float>, _ reference: [Double], tolerance: Double, _ label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let actual = Array(actual)
  #expect(actual.count == reference.count, "\(label): \(actual.count) values vs \(reference.count)", sourceLocation: sourceLocation)
  let magnitude = max(1e-3, reference.map(abs).max() ?? 0)
  let check = discrepancy(actual, reference, absoluteTolerance: tolerance * magnitude)
  #expect(check.isWithinTolerance, "\(label): \(check)", sourceLocation: sourceLocation)
}

/// Float matrices for the layers under test, owned by the test.
final class Matrices {
  private var buffers: [UnsafeMutablePointer<Float>] = []

  /// A new `rows × columns` matrix holding `values` (zeros when omitted).
  func make(_ rows: Int, _ columns: Int, _ values: [Double]? = nil) -> MutableMatrixView<Float> {
    let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(rows * columns, 1))
    pointer.initialize(repeating: 0, count: max(rows * columns, 1))
    if let values {
      precondition(values.count == rows * columns)
      for (i, v) in values.enumerated() { pointer[i] = Float(v) }
    }
    buffers.append(pointer)
    return MutableMatrixView(pointer, rows: rows, columns: columns)
  }

  deinit { for buffer in buffers { buffer.deallocate() } }
}

extension MutableMatrixView where Scalar == Float {
  /// The elements in row-major order.
  var elements: [Float] { (0..<rows).flatMap { i in (0..<columns).map { j in self[i, j] } } }
}

extension ParameterStore {
  /// Sets a parameter's values from Doubles (rounded to Float).
  func set(_ id: ParameterID, _ values: [Double]) {
    let buffer = self.values(id)
    precondition(buffer.count == values.count)
    for i in buffer.indices { buffer[i] = Float(values[i]) }
  }

  /// A parameter's values as Doubles.
  func doubles(_ id: ParameterID) -> [Double] { values(id).map(Double.init) }
}
