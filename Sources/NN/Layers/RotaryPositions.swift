import TensorCore

/// Rotary position embeddings (Su et al. 2021) in the half-split layout of Hugging Face Llama and GPT-NeoX:
/// within each head, element `i` and element `i + d/2` are rotated by the angle `θᵢ·t` at position `t`, with
/// `θᵢ = base^(−2i/d)`:
/// ```
/// x′ᵢ       = xᵢ·cos(θᵢt) − x_{i+d/2}·sin(θᵢt)
/// x′_{i+d/2} = x_{i+d/2}·cos(θᵢt) + xᵢ·sin(θᵢt)
/// ```
/// Applied in place to queries and keys before attention; the backward pass is the inverse rotation of the
/// gradient. The cosine and sine tables are computed once, in `Double`, when the layer is made.
public struct RotaryPositions: Sendable {
  /// The width of one head, `d` (even).
  public let headSize: Int
  /// The longest sequence the tables cover.
  public let maximumLength: Int
  /// The base of the frequencies (10 000 in the paper and in Llama 2).
  public let base: Double
  private let cosines: [Float]
  private let sines: [Float]

  /// Creates the tables.
  ///
  /// - Throws: ``TrainingError/oddSize(layer:name:value:)``, or
  ///   ``TrainingError/nonPositiveSize(layer:name:value:)`` for a non-positive size.
  public init(headSize: Int, maximumLength: Int, base: Double = 10_000) throws(TrainingError) {
    try requirePositive(headSize, "headSize", "RotaryPositions")
    try requirePositive(maximumLength, "maximumLength", "RotaryPositions")
    try requirePositive(base, "base", "RotaryPositions")
    guard headSize % 2 == 0 else { throw .oddSize(layer: "RotaryPositions", name: "headSize", value: headSize) }
    self.headSize = headSize
    self.maximumLength = maximumLength
    self.base = base
    let half = headSize / 2
    var cosines = [Float](repeating: 0, count: maximumLength * half)
    var sines = cosines
    for t in 0..<maximumLength {
      for i in 0..<half {
        let angle = Double(t) * Double.power(base, -2 * Double(i) / Double(headSize))
        cosines[t * half + i] = Float(Double.cosine(angle))
        sines[t * half + i] = Float(Double.sine(angle))
      }
    }
    self.cosines = cosines
    self.sines = sines
  }

  /// Rotates every head of `x` in place; row `r` is at position `firstPosition + r % sequenceLength`.
  ///
  /// - Parameters:
  ///   - x: `batch·sequenceLength × heads·headSize` (queries or keys: a column view of the packed projection).
  ///   - sequenceLength: The rows of one sequence.
  ///   - firstPosition: The position of each sequence's first row (a decoding step's position; 0 in training).
  /// - Throws: ``TrainingError/sequenceTooLong(layer:length:maximum:)`` when a position reaches
  ///   ``maximumLength``.
  /// - Complexity: O(elements).
  public func apply(to x: MutableMatrixView<Float>, sequenceLength: Int, firstPosition: Int = 0) throws(TrainingError) {
    try rotate(x, sequenceLength: sequenceLength, firstPosition: firstPosition, sign: 1)
  }

  /// The backward pass: rotates the gradient with respect to the rotated values back, in place.
  ///
  /// - Throws: ``TrainingError/sequenceTooLong(layer:length:maximum:)``.
  /// - Complexity: O(elements).
  public func applyBackward(to gradient: MutableMatrixView<Float>, sequenceLength: Int) throws(TrainingError) {
    try rotate(gradient, sequenceLength: sequenceLength, firstPosition: 0, sign: -1)
  }

  private func rotate(
    _ x: MutableMatrixView<Float>, sequenceLength: Int, firstPosition: Int, sign: Float
  ) throws(TrainingError) {
    precondition(firstPosition >= 0, "RotaryPositions: negative first position \(firstPosition)")
    guard firstPosition + sequenceLength <= maximumLength else {
      throw .sequenceTooLong(layer: "RotaryPositions", length: firstPosition + sequenceLength, maximum: maximumLength)
    }
    precondition(x.columns % headSize == 0, "RotaryPositions: \(x.columns) columns are not whole heads of \(headSize)")
    precondition(sequenceLength > 0 && x.rows % sequenceLength == 0, "RotaryPositions: \(x.rows) rows are not whole sequences")
    let half = headSize / 2
    let heads = x.columns / headSize
    cosines.withUnsafeBufferPointer { cosines in
      sines.withUnsafeBufferPointer { sines in
        for r in 0..<x.rows {
          let position = firstPosition + r % sequenceLength
          let (c, s) = (cosines.baseAddress! + position * half, sines.baseAddress! + position * half)
          for h in 0..<heads {
            let head = x.row(r) + h * headSize
            for i in 0..<half {
              let (a, b) = (head[i], head[i + half])
              let sine = sign * s[i]
              head[i] = a * c[i] - b * sine
              head[i + half] = b * c[i] + a * sine
            }
          }
        }
      }
    }
  }
}
