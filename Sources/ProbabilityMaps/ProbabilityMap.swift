import TensorCore

/// A map from scores to probability distributions, applied independently to every row (the last axis).
///
/// Conventions shared by every map:
/// - `-inf` scores are *excluded*: they get probability exactly `0`, the same result as deleting them, and
///   their gradient is `0`.
/// - A row that is entirely `-inf` maps to all zeros (no NaN in outputs or gradients).
/// - A row holding a NaN or `+inf` maps to all NaN; other rows are unaffected.
/// - Every map is exact at every finite scale: `Float` scores up to `Float.greatestFiniteMagnitude`,
///   `Double` scores up to `Double.greatestFiniteMagnitude`, temperatures whose inverse is 0 or `inf` in the
///   element type (uniform over the unmasked scores, or uniform over the maxima).
/// - Backward: a row whose output or upstream gradient holds a NaN or an infinity gets an all-NaN gradient;
///   an all-`-inf` row gets 0; a true gradient beyond the range of the element type is `±inf`.
///
/// ```swift
/// let scores = Tensor<Float>(shape: [1, 3], scalars: [-2, 0, 0.5])
/// let p = try Sparsemax().forward(scores)                 // [0, 0.25, 0.75]
/// let dx = try Sparsemax().backward(scores: scores, output: p, gradient: upstream)
/// ```
public protocol ProbabilityMap: Sendable {
  /// The distributions of rows of scores held in caller-owned memory, written into `output`: what
  /// ``forward(_:)`` computes, without building tensors (training loops call this on buffers they keep).
  ///
  /// - Parameters:
  ///   - scores: Rows of `length` scores, back to back.
  ///   - length: The row length, at least 1.
  ///   - output: As many values as `scores`; every one is written.
  /// - Throws: ``ProbabilityMapError`` when the counts do not fit rows of `length`, or for a parameter error
  ///   that only shows with the input (a per-row parameter of the wrong length).
  func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length: Int, into output: UnsafeMutableBufferPointer<S>) throws

  /// The vector–Jacobian product on rows held in caller-owned memory, written into `result`: what
  /// ``backward(scores:output:outputGradient:)`` computes, without building tensors.
  ///
  /// - Parameters:
  ///   - scores: The rows passed to ``forward(rows:length:into:)``.
  ///   - output: What it wrote for them.
  ///   - gradient: The gradient of a scalar objective with respect to `output`.
  ///   - length: The row length, at least 1.
  ///   - result: As many values as `scores`; receives the gradient with respect to `scores`.
  /// - Throws: ``ProbabilityMapError`` when the counts differ or do not fit rows of `length`.
  func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length: Int, into result: UnsafeMutableBufferPointer<S>) throws
}

extension ProbabilityMap {
  /// The distributions of the rows of `scores`.
  ///
  /// - Parameter scores: Scores of any rank ≥ 1; the map runs along the last axis.
  /// - Returns: A tensor of the same shape whose rows are on the probability simplex.
  /// - Throws: ``ProbabilityMapError`` for a scalar or an empty last axis, or a parameter
  ///   error that only shows with the input (a per-row parameter of the wrong length).
  public func forward<S: ProbabilityScalar>(_ scores: Tensor<S>) throws -> Tensor<S> {
    let (_, n) = try RowDriver.rowShape(scores, name: "scores")
    return try RowDriver.filled(like: scores) { output in
      try scores.scalars.withUnsafeBufferPointer { try forward(rows: $0, length: n, into: output) }
    }
  }

  /// The vector–Jacobian product: the gradient with respect to the scores given the gradient of the output.
  ///
  /// - Parameters:
  ///   - scores: The scores passed to ``forward(_:)``.
  ///   - output: What ``forward(_:)`` returned for them.
  ///   - gradient: The gradient of a scalar objective with respect to `output`.
  /// - Returns: The gradient of the objective with respect to `scores`.
  /// - Throws: ``ProbabilityMapError`` when the three shapes differ.
  public func backward<S: ProbabilityScalar>(scores: Tensor<S>, output: Tensor<S>, outputGradient gradient: Tensor<S>)
    throws -> Tensor<S>
  {
    let (_, n) = try RowDriver.rowShape(scores, name: "scores")
    try RowDriver.requireSameShape(output, "output", as: scores, "scores")
    try RowDriver.requireSameShape(gradient, "gradient", as: scores, "scores")
    return try RowDriver.filled(like: scores) { result in
      try scores.scalars.withUnsafeBufferPointer { x in
        try output.scalars.withUnsafeBufferPointer { p in
          try gradient.scalars.withUnsafeBufferPointer { v in
            try backward(rows: x, output: p, outputGradient: v, length: n, into: result)
          }
        }
      }
    }
  }
}
