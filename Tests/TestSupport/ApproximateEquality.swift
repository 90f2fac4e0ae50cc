import TensorCore

/// The largest elementwise violation of `|a − b| ≤ absolute + relative·|b|`, and where it happens.
public struct Discrepancy: CustomStringConvertible {
  /// The flat index of the worst element, or `nil` when every element is within tolerance.
  public let worstIndex: Int?
  /// `|a − b|` at the worst element.
  public let worstDifference: Double
  /// The reference value at the worst element.
  public let reference: Double
  /// The value under test at the worst element.
  public let actual: Double

  public var isWithinTolerance: Bool { worstIndex == nil }
  public var description: String {
    guard let index = worstIndex else { return "within tolerance" }
    return "worst at flat index \(index): \(actual) vs reference \(reference) (difference \(worstDifference))"
  }
}

/// Compares two sequences elementwise with absolute and relative tolerances and reports the worst element.
///
/// Sequences of different lengths are an infinite discrepancy at the first index one of them lacks: a result
/// cut short never passes.
public func discrepancy<A: Sequence, B: Sequence>(
  _ actual: A, _ reference: B, absoluteTolerance: Double, relativeTolerance: Double = 0
) -> Discrepancy where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
  var worst: (index: Int, excess: Double, difference: Double, reference: Double, actual: Double)?
  var (actualElements, referenceElements) = (actual.makeIterator(), reference.makeIterator())
  var index = 0
  while true {
    let (a, b) = (actualElements.next(), referenceElements.next())
    guard let a, let b else {
      if a == nil && b == nil { break }
      // One sequence ended early: the element the other holds has no counterpart.
      let actualValue = a.map { Double($0) } ?? .nan
      let referenceValue = b.map { Double($0) } ?? .nan
      return Discrepancy(worstIndex: index, worstDifference: .infinity, reference: referenceValue, actual: actualValue)
    }
    defer { index += 1 }
    let (x, y) = (Double(a), Double(b))
    let difference = abs(x - y)
    let allowed = absoluteTolerance + relativeTolerance * abs(y)
    let excess = difference.isNaN || x.isNaN != y.isNaN ? .infinity : difference - allowed
    if x == y || (x.isNaN && y.isNaN) { continue }
    if excess > 0, excess > (worst?.excess ?? 0) {
      worst = (index, excess, difference, y, x)
    }
  }
  guard let worst else { return Discrepancy(worstIndex: nil, worstDifference: 0, reference: 0, actual: 0) }
  return Discrepancy(
    worstIndex: worst.index, worstDifference: worst.difference, reference: worst.reference, actual: worst.actual)
}

/// Compares two tensors of the same shape elementwise; a shape mismatch is reported as an infinite discrepancy.
public func discrepancy<S: TensorScalar, T: TensorScalar>(
  _ actual: Tensor<S>, _ reference: Tensor<T>, absoluteTolerance: Double, relativeTolerance: Double = 0
) -> Discrepancy {
  guard actual.shape == reference.shape else {
    return Discrepancy(worstIndex: -1, worstDifference: .infinity, reference: .nan, actual: .nan)
  }
  return discrepancy(
    actual.scalars, reference.scalars, absoluteTolerance: absoluteTolerance, relativeTolerance: relativeTolerance)
}

/// The naive triple-loop matrix product in `Double`, the reference for every GEMM-based kernel.
public func naiveMatmul<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<Double> {
  let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
  precondition(b.shape[0] == k, "naiveMatmul: shapes \(a.shape) and \(b.shape)")
  var c = Tensor<Double>(zeros: [m, n])
  for i in 0..<m {
    for j in 0..<n {
      var sum = 0.0
      for p in 0..<k { sum += Double(a.scalars[i * k + p]) * Double(b.scalars[p * n + j]) }
      c.scalars[i * n + j] = sum
    }
  }
  return c
}
