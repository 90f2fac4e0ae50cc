/// What is wrong with training data, named by its file (or `built-in` for generated data) or setting.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read or parsed (the reader's error, as text).
  case unreadable(file: String, reason: String)
  /// The file holds no bytes or no examples.
  case empty(file: String)
  /// The file is not UTF-8: the first invalid sequence starts at this byte.
  case notUTF8(file: String, byteOffset: Int)
  /// The array has the wrong element type (`expected` says which are accepted).
  case wrongElementType(file: String, dtype: String, expected: String)
  /// The array has the wrong number of dimensions or an extent that does not fit.
  case wrongShape(file: String, shape: [Int], expected: String)
  /// A value is not finite (a feature) or not a whole number in range (a label), at its flat index.
  case invalidValue(file: String, index: Int, value: Double, expected: String)
  /// The features and labels disagree on the number of examples.
  case countMismatch(features: String, labels: String, featureRows: Int, labelCount: Int)
  /// Too few examples for one training batch after the held-out split.
  case tooFewExamples(file: String, available: Int, needed: Int)
  /// A split holds too few tokens for one sequence and its targets.
  case tooShort(source: String, split: String, tokens: Int, needed: Int)
  /// A setting of the data (sizes, held-out fraction) that is out of range.
  case invalidSetting(name: String, value: Double)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
    case .empty(let file): return "\(file): holds no data"
    case .notUTF8(let file, let offset): return "\(file): not UTF-8 (invalid byte sequence at byte \(offset))"
    case .wrongElementType(let file, let dtype, let expected): return "\(file): elements are \(dtype), expected \(expected)"
    case .wrongShape(let file, let shape, let expected): return "\(file): shape \(shape), expected \(expected)"
    case .invalidValue(let file, let index, let value, let expected):
      return "\(file): value \(value) at flat index \(index), expected \(expected)"
    case .countMismatch(let features, let labels, let featureRows, let labelCount):
      return "\(features) has \(featureRows) examples but \(labels) has \(labelCount) labels"
    case .tooFewExamples(let file, let available, let needed):
      return "\(file): \(available) training examples are too few for one batch of \(needed)"
    case .tooShort(let source, let split, let tokens, let needed):
      return "\(source): the \(split) split has \(tokens) tokens, fewer than the \(needed) one sequence needs"
    case .invalidSetting(let name, let value): return "data setting '\(name)' is out of range: \(value)"
    }
  }
}
