/// The matrix exponential `e^A = Σₖ Aᵏ/k!` by scaling and squaring with a degree-13 Padé approximant
/// (Higham 2005, "The scaling and squaring method for the matrix exponential revisited").
///
/// `A` is scaled by `2^(−s)` so that `‖A/2^s‖₁ ≤ θ₁₃ ≈ 5.37`, the Padé approximant `r₁₃ = q(A)⁻¹ p(A)` is
/// computed with six matrix products and one linear solve, and the result is squared `s` times:
///
/// ```
/// e^A = r₁₃(A / 2^s)^(2^s)
/// ```
///
/// The computation runs in `Double` for either element type.
///
/// - Parameter a: A square matrix with finite elements.
/// - Returns: `e^A`, the same shape as `a`.
/// - Throws: ``LinalgError/nonFiniteInput(operation:argument:)`` if `a` holds NaN or an infinity, if its
///   1-norm overflows `Double` (finite entries near `Double.greatestFiniteMagnitude`), or if `e^A` overflows
///   the element type; other ``LinalgError`` cases if `a` is not square.
/// - Complexity: O(n³ · (7 + s)), where `s ≈ log₂(‖A‖₁ / 5.37)`.
public func matrixExponential<S: TensorScalar>(_ a: Tensor<S>) throws -> Tensor<S> {
  let operation = "matrixExponential"
  let n = try Validation.squareOrder(a, operation: operation)
  try Validation.requireFinite(a.scalars, operation: operation, argument: "A of shape \(a.shape)")
  guard n > 0 else { return a }
  var x = a.converted(to: Double.self)
  // ‖A‖₁: the largest absolute column sum.
  var norm = 0.0
  for j in 0..<n {
    var column = 0.0
    for i in 0..<n { column += abs(x.scalars[i * n + j]) }
    norm = max(norm, column)
  }
  guard norm.isFinite else {
    throw LinalgError.nonFiniteInput(operation: operation, argument: "the 1-norm of A of shape \(a.shape) (overflows Double)")
  }
  let theta13 = 5.371920351148152
  // ‖A‖₁ ≤ Double.greatestFiniteMagnitude bounds the count by 1022, so the conversion to Int cannot trap.
  let squarings = norm > theta13 ? Int((Double.logarithm(norm / theta13) / Double.logarithm(2)).rounded(.up)) : 0
  if squarings > 0 { x = Double.power(2, Double(-squarings)) * x }

  let b: [Double] = [
    64_764_752_532_480_000, 32_382_376_266_240_000, 7_771_770_303_897_600, 1_187_353_796_428_800,
    129_060_195_264_000, 10_559_470_521_600, 670_442_572_800, 33_522_128_640, 1_323_241_920, 40_840_800,
    960_960, 16_380, 182, 1,
  ]
  let identity = Tensor<Double>(identity: n)
  let x2 = matmul(x, x)
  let x4 = matmul(x2, x2)
  let x6 = matmul(x2, x4)
  let oddInner = matmul(x6, b[13] * x6 + b[11] * x4 + b[9] * x2)
  let u = matmul(x, oddInner + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * identity)
  let evenInner = matmul(x6, b[12] * x6 + b[10] * x4 + b[8] * x2)
  let v = evenInner + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * identity
  // r₁₃ = (V − U)⁻¹ (V + U); V − U = q(A) is well conditioned for ‖A‖₁ ≤ θ₁₃.
  var result = try solve(v - u, v + u)
  for _ in 0..<squarings {
    result = matmul(result, result)
    // Once an entry is infinite every later square is too (or NaN): stop early.
    guard result.scalars.allSatisfy(\.isFinite) else { break }
  }
  let converted = result.converted(to: S.self)
  guard converted.scalars.allSatisfy(\.isFinite) else {
    throw LinalgError.nonFiniteInput(operation: operation, argument: "e^A of shape \(a.shape) (overflows \(S.dtypeName))")
  }
  return converted
}
