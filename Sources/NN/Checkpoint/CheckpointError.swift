/// What is wrong with a run folder or one of its files, named by the file and, for tensors, the tensor.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A file is missing or cannot be read or parsed (the reader's error, as text).
  case unreadable(file: String, reason: String)
  /// A file could not be written (the writer's error, as text); the previous checkpoint is untouched.
  case unwritable(file: String, reason: String)
  /// The model has a parameter the file lacks.
  case missingTensor(file: String, tensor: String)
  /// The file has a tensor the model does not.
  case unexpectedTensor(file: String, tensor: String)
  /// A tensor's shape or element type differs from the model's parameter.
  case tensorMismatch(file: String, tensor: String, expected: String, actual: String)
  /// The files of a run folder come from different steps (an interrupted write).
  case inconsistentStep(file: String, step: Int, expected: Int)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
    case .unwritable(let file, let reason): return "\(file): cannot write: \(reason)"
    case .missingTensor(let file, let tensor): return "\(file): no tensor '\(tensor)', which the model has"
    case .unexpectedTensor(let file, let tensor): return "\(file): tensor '\(tensor)' is not a parameter of the model"
    case .tensorMismatch(let file, let tensor, let expected, let actual):
      return "\(file): tensor '\(tensor)' is \(actual), the model's parameter is \(expected)"
    case .inconsistentStep(let file, let step, let expected):
      return "\(file): written at step \(step), but state.json is at step \(expected)"
    }
  }
}
