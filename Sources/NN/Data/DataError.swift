/// What is wrong with a run's data, named by its file (or `built-in` for generated data).
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read or parsed (the reader's error, as text).
  case unreadable(file: String, reason: String)
  /// The array has the wrong element type (`expected` says which are accepted).
  case wrongElementType(file: String, dtype: String, expected: String)
  /// The array has the wrong number of dimensions or an extent that does not fit.
  case wrongShape(file: String, shape: [Int], expected: String)
  /// The file holds no examples.
  case empty(file: String)
  /// A value is not finite (a feature) or not a whole number in range (a label), at its flat index.
  case invalidValue(file: String, index: Int, value: Double, expected: String)
  /// The features and labels disagree on the number of examples.
  case countMismatch(features: String, labels: String, featureRows: Int, labelCount: Int)
  /// Too few examples for one training batch after the held-out split.
  case tooFewExamples(file: String, available: Int, needed: Int)
  /// A setting of the data (sizes, held-out fraction) that is out of range.
  case invalidSetting(name: String, value: Double)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
    case .wrongElementType(let file, let dtype, let expected): return "\(file): elements are \(dtype), expected \(expected)"
    case .wrongShape(let file, let shape, let expected): return "\(file): shape \(shape), expected \(expected)"
    case .empty(let file): return "\(file): holds no examples"
    case .invalidValue(let file, let index, let value, let expected):
      return "\(file): value \(value) at flat index \(index), expected \(expected)"
    case .countMismatch(let features, let labels, let featureRows, let labelCount):
      return "\(features) has \(featureRows) examples but \(labels) has \(labelCount) labels"
    case .tooFewExamples(let file, let available, let needed):
      return "\(file): \(available) training examples are too few for one batch of \(needed)"
    case .invalidSetting(let name, let value): return "data setting '\(name)' is out of range: \(value)"
    }
  }
}
