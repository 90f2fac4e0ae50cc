import TensorCore

/// The input checks and `Double` arithmetic the LoRA initializations share.
enum LoRAInitializationSupport {
  /// `(out, in)` of a weight matrix, after checking that `rank` fits: `1 ≤ rank ≤ maximumRank(out, in)`.
  ///
  /// - Throws: ``LoRAError/weightNotAMatrix(module:shape:)`` or ``LoRAError/invalidRank(module:rank:maximum:)``.
  static func shape(
    of weight: Tensor<Float>, rank: Int, module: String
  ) throws(LoRAError) -> (out: Int, in: Int) {
    guard weight.rank == 2, weight.shape[0] >= 1, weight.shape[1] >= 1 else {
      throw .weightNotAMatrix(module: module, shape: weight.shape)
    }
    let (out, input) = (weight.shape[0], weight.shape[1])
    guard rank >= 1, rank <= min(out, input) else {
      throw .invalidRank(module: module, rank: rank, maximum: min(out, input))
    }
    return (out, input)
  }

  /// Throws ``LoRAError/nonFiniteInput(module:tensor:)`` if `tensor` holds NaN or an infinity.
  static func requireFinite(_ tensor: Tensor<Float>, module: String, name: String) throws(LoRAError) {
    guard tensor.scalars.allSatisfy(\.isFinite) else { throw .nonFiniteInput(module: module, tensor: name) }
  }

  /// The gradient of LoRA-GA, checked against the weight: present, of the weight's shape, finite, and
  /// `2·rank ≤ min(out, in)`.
  static func checkedGradient(
    _ gradient: Tensor<Float>?, weight: Tensor<Float>, rank: Int, module: String, initialization: String
  ) throws(LoRAError) -> Tensor<Float> {
    guard let gradient else { throw .missingGradient(module: module, initialization: initialization) }
    guard gradient.shape == weight.shape else {
      throw .gradientShapeMismatch(module: module, weight: weight.shape, gradient: gradient.shape)
    }
    let maximum = min(weight.shape[0], weight.shape[1]) / 2
    guard 2 * rank <= min(weight.shape[0], weight.shape[1]) else {
      throw .gradientRankTooLarge(module: module, rank: rank, maximum: maximum)
    }
    try requireFinite(weight, module: module, name: "weight")
    try requireFinite(gradient, module: module, name: "gradient")
    return gradient
  }

  /// Throws unless the stable scale's `gamma` is finite and positive.
  static func requirePositive(_ value: Double, name: String, module: String) throws(LoRAError) {
    guard value.isFinite, value > 0 else {
      throw .invalidInitializationParameter(module: module, name: name, value: value)
    }
  }

  /// The rows `indices` of `vt` (`k × n`), each multiplied by `factor`: a `indices.count × n` matrix.
  static func rows(_ vt: Tensor<Double>, _ indices: [Int], times factor: [Double]) -> Tensor<Double> {
    let n = vt.columns
    return Tensor(shape: [indices.count, n]) { flat in
      let (row, column) = flat.quotientAndRemainder(dividingBy: n)
      return vt.scalars[indices[row] * n + column] * factor[row]
    }
  }

  /// The columns `indices` of `u` (`m × k`), each multiplied by `factor`: an `m × indices.count` matrix.
  static func columns(_ u: Tensor<Double>, _ indices: [Int], times factor: [Double]) -> Tensor<Double> {
    let (k, r) = (u.columns, indices.count)
    return Tensor(shape: [u.rows, r]) { flat in
      let (row, column) = flat.quotientAndRemainder(dividingBy: r)
      return u.scalars[row * k + indices[column]] * factor[column]
    }
  }

  /// The factors rounded to `Float`, the precision they are stored and trained in.
  static func storedFactors(a: Tensor<Double>, b: Tensor<Double>, module: String) throws(LoRAError) -> LoRAFactors {
    try LoRAFactors(a: a.converted(to: Float.self), b: b.converted(to: Float.self), module: module)
  }

  /// `s · B · A` in `Double`, from the factors as stored.
  ///
  /// - Complexity: O(out · in · r).
  static func offset(of factors: LoRAFactors, scale: Double) -> Tensor<Double> {
    matmul(factors.b.converted(to: Double.self), factors.a.converted(to: Double.self)).map { scale * $0 }
  }

  /// `W − s · B · A`, subtracted in `Double` from the factors as stored and rounded once to `Float`, so that
  /// `W_frozen + s · B · A` equals `W` to `Float` rounding, not
  /// merely to the precision of a separately rounded offset.
  ///
  /// - Complexity: O(out · in · r).
  static func frozenWeight(_ weight: Tensor<Float>, factors: LoRAFactors, scale: Double) -> Tensor<Float> {
    let offset = offset(of: factors, scale: scale)
    return Tensor(shape: weight.shape, scalars: zip(weight.scalars, offset.scalars).map { Float(Double($0) - $1) })
  }

  /// A uniformly random permutation of `0..<count` (Fisher–Yates, from the seeded generator).
  static func permutation(of count: Int, using generator: inout SeededGenerator) -> [Int] {
    var values = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
      let j = Int(generator.next(upperBound: UInt64(i + 1)))
      values.swapAt(i, j)
    }
    return values
  }

  /// The number of random directions both LoRA-GA variants sample: `min(4r, min(out, in))`, as the reference's
  /// `svd_lowrank(G, q = min(4r, min(m, n)))`.
  static func gradientSamples(rank: Int, out: Int, in input: Int) -> Int { min(4 * rank, min(out, input)) }

  /// The checks both LoRA-GA variants make, then the gradient's leading `2r` singular triplets.
  ///
  /// - Returns: The weight's `out` and `in`, and the triplets of `G` (in `Double`).
  static func gradientTriplets(
    weight: Tensor<Float>, gradient: Tensor<Float>, rank r: Int, stableGamma: Double, svd: LoRASVDMethod,
    module: String, initialization: String, using generator: inout SeededGenerator
  ) throws(LoRAError) -> (out: Int, in: Int, triplets: SingularValueDecomposition<Double>) {
    let (out, input) = try shape(of: weight, rank: r, module: module)
    let g = try checkedGradient(gradient, weight: weight, rank: r, module: module, initialization: initialization)
    try requirePositive(stableGamma, name: "stableGamma", module: module)
    try svd.validate(module: module)
    let triplets = try svd.leadingTriplets(
      of: g.converted(to: Double.self), count: 2 * r, samples: gradientSamples(rank: r, out: out, in: input),
      module: module, tensor: "gradient", using: &generator)
    return (out, input, triplets)
  }
}
