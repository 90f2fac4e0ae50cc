import ProbabilityMaps
import TensorCore

/// Causal multi-head scaled dot-product attention whose normalizer is any `ProbabilityMap`:
/// per head, `O = P(Q Kᵀ/√d + M) V` with `M` the causal mask (`-inf` above the diagonal).
///
/// The input is the packed `tokens × 3·width` projection of GPT-2's `c_attn` (queries, keys, values side by
/// side; head `h` of each is columns `h·d ..< (h+1)·d`), read through views without copies; the output is
/// `tokens × width` with the heads side by side again, ready for the output projection. Tokens are `batch`
/// sequences of `sequenceLength` rows each. The layer has no parameters of its own: the projections around it
/// are ``Linear`` layers.
///
/// Softmax (the default) runs a fused kernel over the lower triangle only. Any other map (`Entmax15`,
/// `Sparsemax`, `Entmax`) runs through its own `forward` and `backward` on the
/// masked scores: `-inf` entries get probability 0 and gradient 0 exactly, so the mask costs nothing.
///
/// With a ``dropout`` and a dropout step, the attention weights are dropped before they weigh the values
/// (nanoGPT's `attn_dropout`); the normalizer's backward still sees the weights it produced.
public struct CausalSelfAttention: Sendable {
  /// What ``forward(qkv:batch:sequenceLength:into:workspace:dropoutStep:)`` keeps for the backward pass, in
  /// the workspace.
  public struct Record {
    /// The attention probabilities, `batch·heads` matrices of `sequenceLength × sequenceLength`.
    public let probabilities: UnsafeMutablePointer<Float>
    /// The masked, scaled scores, kept only for normalizers other than softmax (their backward needs them).
    public let scores: UnsafeMutablePointer<Float>?
    /// The weights after dropout, laid out like ``probabilities``, when dropout ran.
    public let droppedProbabilities: UnsafeMutablePointer<Float>?
    /// The dropout step, when dropout ran.
    public let dropoutStep: Int?
    /// The number of sequences.
    public let batch: Int
    /// The length of each sequence.
    public let sequenceLength: Int
  }

  /// The model width, `heads · headSize`.
  public let width: Int
  /// The number of heads.
  public let heads: Int
  /// The width of one head, `d`.
  public let headSize: Int
  /// The map from scores to attention weights.
  public let normalizer: any ProbabilityMap
  /// The dropout on the attention weights, if any.
  public let dropout: Dropout?
  let name: String
  let usesFusedSoftmax: Bool

  /// Creates the layer.
  ///
  /// - Parameters:
  ///   - name: The layer's name in error messages.
  ///   - width: The model width.
  ///   - heads: The number of heads; it must divide `width`.
  ///   - normalizer: The probability map (softmax by default).
  ///   - dropout: The dropout on the attention weights (none by default).
  /// - Throws: ``TrainingError/nonPositiveSize(layer:name:value:)`` or
  ///   ``TrainingError/headsDoNotDivideWidth(layer:heads:width:)``.
  public init(
    _ name: String, width: Int, heads: Int, normalizer: any ProbabilityMap = Softmax.standard,
    dropout: Dropout? = nil
  ) throws(TrainingError) {
    try requirePositive(width, "width", name)
    try requirePositive(heads, "heads", name)
    guard width % heads == 0 else { throw .headsDoNotDivideWidth(layer: name, heads: heads, width: width) }
    self.name = name
    self.width = width
    self.heads = heads
    self.headSize = width / heads
    self.normalizer = normalizer
    self.dropout = dropout
    usesFusedSoftmax = (normalizer as? Softmax)?.temperature == 1
  }

  var scale: Float { 1 / Float(headSize).squareRoot() }

  /// The views of head `h` of sequence `b`: queries, keys and values of a packed `tokens × 3·width` matrix.
  private func headViews(_ qkv: MatrixView<Float>, _ b: Int, _ h: Int, _ t: Int) -> (MatrixView<Float>, MatrixView<Float>, MatrixView<Float>) {
    let rows = qkv.rows(b * t..<(b + 1) * t)
    let d = headSize
    return (
      rows.columns(h * d..<(h + 1) * d), rows.columns(width + h * d..<width + (h + 1) * d),
      rows.columns(2 * width + h * d..<2 * width + (h + 1) * d)
    )
  }

  private func headViews(
    _ qkv: MutableMatrixView<Float>, _ b: Int, _ h: Int, _ t: Int
  ) -> (MutableMatrixView<Float>, MutableMatrixView<Float>, MutableMatrixView<Float>) {
    let rows = qkv.rows(b * t..<(b + 1) * t)
    let d = headSize
    return (
      rows.columns(h * d..<(h + 1) * d), rows.columns(width + h * d..<width + (h + 1) * d),
      rows.columns(2 * width + h * d..<2 * width + (h + 1) * d)
    )
  }

  /// Attends within each sequence.
  ///
  /// - Parameters:
  ///   - qkv: `batch·sequenceLength × 3·width`.
  ///   - batch: The number of sequences.
  ///   - sequenceLength: The rows of each sequence.
  ///   - output: `batch·sequenceLength × width`, overwritten.
  ///   - workspace: Where the record lives.
  ///   - dropoutStep: The step whose ``dropout`` mask drops attention weights; `nil` drops none.
  /// - Returns: What the backward pass needs.
  /// - Throws: ``TrainingError/normalizerFailed(layer:message:)`` if the normalizer rejects the scores.
  /// - Complexity: O(batch·heads·T²·d) for the products (two batched GEMMs) plus the normalizer's cost.
  public func forward(
    qkv: MatrixView<Float>, batch: Int, sequenceLength: Int, into output: MutableMatrixView<Float>,
    workspace: Workspace, dropoutStep: Int? = nil
  ) throws(TrainingError) -> Record {
    let t = sequenceLength
    requireShape(qkv, rows: batch * t, columns: 3 * width, "qkv", name)
    requireShape(output.readOnly, rows: batch * t, columns: width, "output", name)
    let count = batch * heads
    let probabilities = workspace.allocate(Float.self, count: count * t * t)
    let scores = workspace.allocate(Float.self, count: count * t * t)
    let scoreMatrices = MutableMatrixView(scores, rows: count * t, columns: t)
    let heads = heads
    batchedGemm(count: count, transposeB: true, alpha: scale) { i in
      let (q, k, _) = headViews(qkv, i / heads, i % heads, t)
      return GEMMOperands(q, k, scoreMatrices.rows(i * t..<(i + 1) * t))
    }
    if usesFusedSoftmax {
      parallelFor(count * t, minimumChunk: 64) { rows in
        for row in rows { causalSoftmaxRow(scores + row * t, probabilities + row * t, row % t + 1, t) }
      }
    } else {
      try normalize(scores, into: probabilities, rows: count * t, t)
    }
    var weights = probabilities
    let step = dropout == nil ? nil : dropoutStep
    if let dropout, let step {
      weights = workspace.allocate(Float.self, count: count * t * t)
      dropout.forward(
        MatrixView(UnsafePointer(probabilities), rows: count * t, columns: t),
        into: MutableMatrixView(weights, rows: count * t, columns: t), step: step)
    }
    let probabilityMatrices = MatrixView(UnsafePointer(weights), rows: count * t, columns: t)
    batchedGemm(count: count) { i in
      let (b, h) = (i / heads, i % heads)
      let (_, _, v) = headViews(qkv, b, h, t)
      let target = output.rows(b * t..<(b + 1) * t).columns(h * headSize..<(h + 1) * headSize)
      return GEMMOperands(probabilityMatrices.rows(i * t..<(i + 1) * t), v, target)
    }
    return Record(
      probabilities: probabilities, scores: usesFusedSoftmax ? nil : scores,
      droppedProbabilities: step == nil ? nil : weights, dropoutStep: step, batch: batch, sequenceLength: t)
  }

  /// The vector–Jacobian product: writes (or adds) `dQ`, `dK`, `dV` into the packed gradient of `qkv`.
  ///
  /// With `dP = dO Vᵀ` and `dS` the normalizer's backward of `dP`: `dV = Pᵀ dO`, `dQ = dS K/√d`,
  /// `dK = dSᵀ Q/√d` (with dropout, `P` in `dV` is the dropped weights and `dP` passes back through the
  /// mask first).
  ///
  /// - Parameters:
  ///   - qkv: What the forward pass received.
  ///   - record: What it returned.
  ///   - outputGradient: `tokens × width`.
  ///   - qkvGradient: `tokens × 3·width`.
  ///   - workspace: Scratch for `dP` (and, for normalizers other than softmax, for their backward).
  /// - Throws: ``TrainingError/normalizerFailed(layer:message:)`` if the normalizer's backward fails.
  /// - Complexity: O(batch·heads·T²·d), four batched GEMMs, plus the normalizer's backward.
  public func backward(
    qkv: MatrixView<Float>, record: Record, outputGradient: MatrixView<Float>, qkvGradient: InputGradient,
    workspace: Workspace
  ) throws(TrainingError) {
    let (batch, t) = (record.batch, record.sequenceLength)
    requireShape(outputGradient, rows: batch * t, columns: width, "output gradient", name)
    qkvGradient.requireShape(rows: batch * t, columns: 3 * width, name)
    let count = batch * heads
    let heads = heads
    let d = headSize
    let probabilityGradient = workspace.allocate(Float.self, count: count * t * t)
    let dP = MutableMatrixView(probabilityGradient, rows: count * t, columns: t)
    let p = MatrixView(UnsafePointer(record.droppedProbabilities ?? record.probabilities), rows: count * t, columns: t)
    func upstream(_ b: Int, _ h: Int) -> MatrixView<Float> {
      outputGradient.rows(b * t..<(b + 1) * t).columns(h * d..<(h + 1) * d)
    }
    batchedGemm(count: count, transposeB: true) { i in
      let (b, h) = (i / heads, i % heads)
      return GEMMOperands(upstream(b, h), headViews(qkv, b, h, t).2, dP.rows(i * t..<(i + 1) * t))
    }
    let beta = qkvGradient.beta
    batchedGemm(count: count, transposeA: true, beta: beta) { i in
      let (b, h) = (i / heads, i % heads)
      return GEMMOperands(p.rows(i * t..<(i + 1) * t), upstream(b, h), headViews(qkvGradient.view, b, h, t).2)
    }
    if let dropout, let step = record.dropoutStep {
      // In place: each element reads its own gradient before overwriting it.
      dropout.backward(outputGradient: dP.readOnly, inputGradient: .overwrite(dP), step: step)
    }
    // dS overwrites dP.
    if let scores = record.scores {
      try normalizeBackward(
        scores: scores, probabilities: record.probabilities, gradient: probabilityGradient,
        scratch: workspace.allocate(Float.self, count: count * t * t), rows: count * t, t)
    } else {
      parallelFor(count * t, minimumChunk: 64) { rows in
        for row in rows {
          let (pRow, gRow) = (record.probabilities + row * t, probabilityGradient + row * t)
          let visible = row % t + 1
          var dot: Float = 0
          for j in 0..<visible { dot += pRow[j] * gRow[j] }
          for j in 0..<visible { gRow[j] = pRow[j] * (gRow[j] - dot) }
          for j in visible..<t { gRow[j] = 0 }
        }
      }
    }
    let dS = dP.readOnly
    batchedGemm(count: count, alpha: scale, beta: beta) { i in
      let (b, h) = (i / heads, i % heads)
      return GEMMOperands(dS.rows(i * t..<(i + 1) * t), headViews(qkv, b, h, t).1, headViews(qkvGradient.view, b, h, t).0)
    }
    batchedGemm(count: count, transposeA: true, alpha: scale, beta: beta) { i in
      let (b, h) = (i / heads, i % heads)
      return GEMMOperands(dS.rows(i * t..<(i + 1) * t), headViews(qkv, b, h, t).0, headViews(qkvGradient.view, b, h, t).1)
    }
  }

  /// Softmax over the first `visible` scores of a row; the rest of the row's probabilities are 0.
  @inline(__always)
  private func causalSoftmaxRow(_ s: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>, _ visible: Int, _ t: Int) {
    var maximum = -Float.infinity
    for j in 0..<visible where s[j] > maximum { maximum = s[j] }
    var sum: Float = 0
    for j in 0..<visible {
      let e = Float.exponential(s[j] - maximum)
      p[j] = e
      sum += e
    }
    let inverse = 1 / sum
    for j in 0..<visible { p[j] *= inverse }
    for j in visible..<t { p[j] = 0 }
  }

  /// Masks the scores with `-inf` above the diagonal and runs the normalizer on all rows at once.
  private func normalize(
    _ scores: UnsafeMutablePointer<Float>, into probabilities: UnsafeMutablePointer<Float>, rows: Int, _ t: Int
  ) throws(TrainingError) {
    for row in 0..<rows {
      for j in (row % t + 1)..<t { scores[row * t + j] = -.infinity }
    }
    do {
      try normalizer.forward(
        rows: UnsafeBufferPointer(start: scores, count: rows * t), length: t,
        into: UnsafeMutableBufferPointer(start: probabilities, count: rows * t))
    } catch {
      throw .normalizerFailed(layer: name, message: "\(error)")
    }
  }

  /// The normalizer's backward on all rows at once; the result overwrites `gradient`.
  private func normalizeBackward(
    scores: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
    gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, rows: Int, _ t: Int
  ) throws(TrainingError) {
    let count = rows * t
    func buffer(_ pointer: UnsafeMutablePointer<Float>) -> UnsafeBufferPointer<Float> {
      UnsafeBufferPointer(start: pointer, count: count)
    }
    do {
      try normalizer.backward(
        rows: buffer(scores), output: buffer(probabilities), outputGradient: buffer(gradient), length: t,
        into: UnsafeMutableBufferPointer(start: scratch, count: count))
      gradient.update(from: scratch, count: count)
    } catch {
      throw .normalizerFailed(layer: name, message: "\(error)")
    }
  }
}
