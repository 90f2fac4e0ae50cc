/// How a sentence embedding is made from an encoder's hidden states.
public enum SentencePooling: String, Sendable, CaseIterable, Codable {
  /// The mean of the hidden states of the real tokens (sentence-transformers' `pooling_mode_mean_tokens`).
  case mean
  /// The hidden state of the first token, `[CLS]` (`pooling_mode_cls_token`).
  case cls

  /// Pools `batch.batch` sentences of `hidden` (`batch × sequenceLength × width`) into `output`
  /// (`batch × width`), L2-normalizing each when `normalize` is set (dividing by `max(‖x‖, 1e-12)`, as
  /// PyTorch's `normalize` does).
  ///
  /// - Complexity: O(batch·sequenceLength·width).
  public func pool(
    _ hidden: UnsafePointer<Float>, batch: TokenBatch, width: Int, normalize: Bool, into output: UnsafeMutablePointer<Float>
  ) {
    let t = batch.sequenceLength
    for row in 0..<batch.batch {
      let target = output + row * width
      switch self {
      case .cls:
        target.update(from: hidden + row * t * width, count: width)
      case .mean:
        target.update(repeating: 0, count: width)
        var count: Float = 0
        for position in 0..<t where batch.attentionMask[row * t + position] != 0 {
          let source = hidden + (row * t + position) * width
          for j in 0..<width { target[j] += source[j] }
          count += 1
        }
        let inverse = 1 / max(count, 1e-9)
        for j in 0..<width { target[j] *= inverse }
      }
      if normalize {
        var squares: Float = 0
        for j in 0..<width { squares += target[j] * target[j] }
        let inverse = 1 / max(squares.squareRoot(), 1e-12)
        for j in 0..<width { target[j] *= inverse }
      }
    }
  }
}
