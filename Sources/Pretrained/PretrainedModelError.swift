/// What is wrong with a Hugging Face model folder, its configuration or its tensors, named by the file, field or
/// tensor.
public enum PretrainedModelError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A file the folder must hold is missing or cannot be read (`reason` says why).
  case unreadableFile(file: String, reason: String)
  /// `config.json` is not a JSON object, or a field has the wrong type or value.
  case invalidConfiguration(file: String, field: String, reason: String)
  /// `config.json` names an architecture (`model_type` or `architectures`) that is not supported.
  case unsupportedArchitecture(file: String, architecture: String, supported: [String])
  /// A tensor the architecture needs is not in the weights file.
  case missingTensor(file: String, tensor: String)
  /// A tensor whose shape does not match the configuration.
  case tensorShapeMismatch(file: String, tensor: String, expected: [Int], actual: [Int])
  /// A layer's Monarch factors (or their metadata) do not form a Monarch layout.
  case invalidMonarchFactors(file: String, layer: String, reason: String)
  /// An input the model cannot run (a sequence longer than its positions, a token id outside its vocabulary).
  case invalidInput(reason: String)
  /// A tensor in the weights file that the architecture has no place for (silently dropping it would run
  /// another model than the file's).
  case unexpectedTensor(file: String, tensor: String)
  /// A tensor holding NaN or an infinity.
  case nonFiniteTensor(file: String, tensor: String)

  public var description: String {
    switch self {
    case .unreadableFile(let file, let reason):
      return "\(file): \(reason)"
    case .invalidConfiguration(let file, let field, let reason):
      return "\(file): field '\(field)': \(reason)"
    case .unsupportedArchitecture(let file, let architecture, let supported):
      return "\(file): architecture '\(architecture)' is not supported (supported: \(supported.joined(separator: ", ")))"
    case .missingTensor(let file, let tensor):
      return "\(file): tensor '\(tensor)' is missing"
    case .tensorShapeMismatch(let file, let tensor, let expected, let actual):
      return "\(file): tensor '\(tensor)' has shape \(actual), expected \(expected)"
    case .invalidMonarchFactors(let file, let layer, let reason):
      return "\(file): Monarch factors of layer '\(layer)': \(reason)"
    case .invalidInput(let reason):
      return "invalid input: \(reason)"
    case .unexpectedTensor(let file, let tensor):
      return "\(file): tensor '\(tensor)' is not part of the architecture"
    case .nonFiniteTensor(let file, let tensor):
      return "\(file): tensor '\(tensor)' holds NaN or an infinity"
    }
  }
}
