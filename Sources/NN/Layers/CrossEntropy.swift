import TensorCore

/// Softmax cross-entropy fused with its gradient, PyTorch's `F.cross_entropy` with `reduction="mean"`.
///
/// For logits `z` and target `t` the loss of a row is `logsumexp(z) − z_t`; the mean runs over the rows whose
/// target is not ``ignoreIndex``, and the gradient of the mean is `(softmax(z) − onehot(t)) / counted` on
/// counted rows and 0 on ignored ones.
public struct CrossEntropy: Sendable {
  /// The loss and how many rows it averages.
  public struct Result: Sendable, Equatable {
    /// The mean loss over counted rows, in nats (0 when no row counts).
    public let loss: Double
    /// The number of rows whose target is not the ignore index.
    public let countedTokens: Int

    /// Bundles a loss and its count.
    public init(loss: Double, countedTokens: Int) {
      self.loss = loss
      self.countedTokens = countedTokens
    }
  }

  /// The target that marks a row to skip (PyTorch's default −100).
  public let ignoreIndex: Int32

  /// Creates the loss.
  public init(ignoreIndex: Int32 = -100) { self.ignoreIndex = ignoreIndex }

  /// The mean loss and, when asked, its gradient with respect to the logits.
  ///
  /// - Parameters:
  ///   - logits: `tokens × vocabulary`.
  ///   - targets: One id per row, in `0..<vocabulary` or ``ignoreIndex``.
  ///   - logitsGradient: Where `gradientScale · ∂loss/∂logits` goes (overwritten); it may be `logits` itself.
  ///     `nil` computes the loss only.
  ///   - gradientScale: A factor on the gradient (`1/k` when accumulating `k` micro-batches).
  ///   - workspace: Scratch for one loss per row.
  /// - Throws: ``TrainingError/tokenOutOfRange(layer:position:token:vocabularySize:)`` before any output.
  /// - Complexity: O(tokens·vocabulary), two passes per row.
  public func evaluate(
    logits: MatrixView<Float>, targets: UnsafeBufferPointer<Int32>, logitsGradient: MutableMatrixView<Float>?,
    gradientScale: Float = 1, workspace: Workspace
  ) throws(TrainingError) -> Result {
    let (rows, vocabulary) = (logits.rows, logits.columns)
    precondition(targets.count == rows, "CrossEntropy: \(targets.count) targets for \(rows) rows of logits")
    if let logitsGradient { requireShape(logitsGradient.readOnly, rows: rows, columns: vocabulary, "logits gradient", "CrossEntropy") }
    var counted = 0
    for (position, target) in targets.enumerated() where target != ignoreIndex {
      guard target >= 0, Int(target) < vocabulary else {
        throw .tokenOutOfRange(layer: "CrossEntropy", position: position, token: target, vocabularySize: vocabulary)
      }
      counted += 1
    }
    let rowLosses = workspace.allocate(Double.self, count: rows)
    let scale = counted == 0 ? 0 : gradientScale / Float(counted)
    let ignoreIndex = ignoreIndex
    parallelFor(rows, minimumChunk: max(1, 16_384 / max(vocabulary, 1))) { range in
      for i in range {
        let z = logits.row(i)
        let target = targets[i]
        var maximum = -Float.infinity
        for j in 0..<vocabulary where z[j] > maximum { maximum = z[j] }
        var sum: Float = 0
        for j in 0..<vocabulary { sum += Float.exponential(z[j] - maximum) }
        let logSumExp = maximum + Float.logarithm(sum)
        rowLosses[i] = target == ignoreIndex ? 0 : Double(logSumExp - z[Int(target)])
        guard let logitsGradient else { continue }
        let dz = logitsGradient.row(i)
        if target == ignoreIndex {
          dz.update(repeating: 0, count: vocabulary)
          continue
        }
        let inverseSum = 1 / sum
        for j in 0..<vocabulary { dz[j] = scale * Float.exponential(z[j] - maximum) * inverseSum }
        dz[Int(target)] -= scale
      }
    }
    var total = 0.0
    for i in 0..<rows { total += rowLosses[i] }
    return Result(loss: counted == 0 ? 0 : total / Double(counted), countedTokens: counted)
  }
}
