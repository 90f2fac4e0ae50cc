/// What is wrong with a layer's configuration or with data a layer is given, named by the layer.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A size that must be positive is not (`features`, `heads`, `vocabularySize`, ...).
  case nonPositiveSize(layer: String, name: String, value: Int)
  /// The number of heads does not divide the width.
  case headsDoNotDivideWidth(layer: String, heads: Int, width: Int)
  /// A size that must be even is not (a rotary head size, an S4D state size).
  case oddSize(layer: String, name: String, value: Int)
  /// A size that is positive but does not fit another (an RTF order not below the kernel length); the
  /// requirement says which.
  case invalidSize(layer: String, name: String, value: Int, requirement: String)
  /// A batch that does not fit the model (features for a language model, a token count that is not whole
  /// sequences, a target count that differs from the rows); the reason says which.
  case batchDoesNotFit(layer: String, reason: String)
  /// A probability (dropout rate) outside `[0, 1)`.
  case invalidProbability(layer: String, value: Double)
  /// A positive finite value (epsilon, learning rate, ...) that is not.
  case invalidValue(layer: String, name: String, value: Double)
  /// A token id outside the vocabulary (and not the ignore index), at its flat position in the batch.
  case tokenOutOfRange(layer: String, position: Int, token: Int32, vocabularySize: Int)
  /// A sequence longer than the layer's context.
  case sequenceTooLong(layer: String, length: Int, maximum: Int)
  /// A state-space kernel could not be formed or differentiated (its error, as text).
  case kernelFailed(layer: String, message: String)
  /// A probability map's forward or backward failed (its error, as text).
  case normalizerFailed(layer: String, message: String)
  /// A batch does not fit the model: the wrong kind of input, a width or a count that differs from the model's.
  case inputMismatch(layer: String, reason: String)
  /// The Monarch blocks or rank of a layer do not fit its widths; `reason` says how.
  case invalidMonarchLayout(layer: String, reason: String)

  public var description: String {
    switch self {
    case .nonPositiveSize(let layer, let name, let value): return "\(layer): \(name) must be positive, got \(value)"
    case .headsDoNotDivideWidth(let layer, let heads, let width):
      return "\(layer): \(heads) heads do not divide the width \(width)"
    case .oddSize(let layer, let name, let value): return "\(layer): \(name) must be even, got \(value)"
    case .batchDoesNotFit(let layer, let reason): return "\(layer): the batch does not fit: \(reason)"
    case .invalidSize(let layer, let name, let value, let requirement):
      return "\(layer): \(name) = \(value) \(requirement)"
    case .invalidProbability(let layer, let value): return "\(layer): probability \(value) is outside [0, 1)"
    case .invalidValue(let layer, let name, let value): return "\(layer): \(name) must be finite and positive, got \(value)"
    case .tokenOutOfRange(let layer, let position, let token, let vocabularySize):
      return "\(layer): token \(token) at position \(position) is outside the vocabulary 0..<\(vocabularySize)"
    case .sequenceTooLong(let layer, let length, let maximum):
      return "\(layer): sequence length \(length) exceeds the context \(maximum)"
    case .normalizerFailed(let layer, let message): return "\(layer): normalizer failed: \(message)"
    case .kernelFailed(let layer, let message): return "\(layer): state-space kernel failed: \(message)"
    case .invalidMonarchLayout(let layer, let reason): return "\(layer): \(reason)"
    case .inputMismatch(let layer, let reason): return "\(layer): \(reason)"
    }
  }
}

func requirePositive(_ value: Int, _ name: String, _ layer: String) throws(TrainingError) {
  guard value > 0 else { throw .nonPositiveSize(layer: layer, name: name, value: value) }
}

func requirePositive(_ value: Double, _ name: String, _ layer: String) throws(TrainingError) {
  guard value.isFinite, value > 0 else { throw .invalidValue(layer: layer, name: name, value: value) }
}
