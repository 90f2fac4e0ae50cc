import Foundation

/// The fields of a Hugging Face `config.json`, read with typed accessors that name the field on a missing or
/// wrong value.
public struct HuggingFaceConfiguration: Sendable {
  /// One JSON value of the file.
  public indirect enum Value: Decodable, Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([Value])
    /// An object.
    case object([String: Value])

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if container.decodeNil() {
        self = .null
      } else if let value = try? container.decode(Bool.self) {
        self = .bool(value)
      } else if let value = try? container.decode(Double.self) {
        self = .number(value)
      } else if let value = try? container.decode(String.self) {
        self = .string(value)
      } else if let value = try? container.decode([Value].self) {
        self = .array(value)
      } else {
        self = .object(try container.decode([String: Value].self))
      }
    }
  }

  /// The file, for error messages.
  public let file: String
  /// The top-level fields.
  public let fields: [String: Value]

  /// Parses `config.json` text.
  ///
  /// - Throws: ``PretrainedModelError/invalidConfiguration(file:field:reason:)`` when it is not a JSON object.
  public init(data: Data, file: String) throws(PretrainedModelError) {
    self.file = file
    do {
      fields = try JSONDecoder().decode([String: Value].self, from: data)
    } catch {
      throw .invalidConfiguration(file: file, field: "(file)", reason: "not a JSON object")
    }
  }

  private func wrong(_ field: String, _ reason: String) -> PretrainedModelError {
    .invalidConfiguration(file: file, field: field, reason: reason)
  }

  /// The string `field`, or `defaultValue` when it is absent (`nil` default: the field is required).
  public func string(_ field: String, default defaultValue: String? = nil) throws(PretrainedModelError) -> String {
    switch fields[field] {
    case .string(let text)?: return text
    case nil, .null?:
      guard let defaultValue else { throw wrong(field, "is missing") }
      return defaultValue
    default: throw wrong(field, "is not a string")
    }
  }

  /// The integer `field` in `range`, or `defaultValue` when it is absent.
  public func integer(
    _ field: String, in range: ClosedRange<Int> = 1...Int(Int32.max), default defaultValue: Int? = nil
  ) throws(PretrainedModelError) -> Int {
    switch fields[field] {
    case .number(let number)?:
      guard let value = Int(exactly: number), range.contains(value) else {
        throw wrong(field, "\(number) is not an integer in \(range.lowerBound)...\(range.upperBound)")
      }
      return value
    case nil, .null?:
      guard let defaultValue else { throw wrong(field, "is missing") }
      return defaultValue
    default: throw wrong(field, "is not a number")
    }
  }

  /// The positive finite number `field`, or `defaultValue` when it is absent.
  public func positiveNumber(_ field: String, default defaultValue: Double? = nil) throws(PretrainedModelError) -> Double {
    switch fields[field] {
    case .number(let number)?:
      guard number.isFinite, number > 0 else { throw wrong(field, "\(number) is not a positive number") }
      return number
    case nil, .null?:
      guard let defaultValue else { throw wrong(field, "is missing") }
      return defaultValue
    default: throw wrong(field, "is not a number")
    }
  }

  /// The strings of the array `field` (such as `architectures`), empty when absent.
  public func strings(_ field: String) throws(PretrainedModelError) -> [String] {
    switch fields[field] {
    case nil, .null?: return []
    case .array(let values)?:
      var strings: [String] = []
      for value in values {
        guard case .string(let text) = value else { throw wrong(field, "is not an array of strings") }
        strings.append(text)
      }
      return strings
    default: throw wrong(field, "is not an array of strings")
    }
  }
}
