import Foundation

/// A JSON document with ordered object keys, for the `--json` output of every command.
public indirect enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  /// A floating-point number; integral values below 10¹⁵ in magnitude print without a fraction.
  case number(Double)
  /// A signed integer, printed exactly (a `Double` would round integers beyond 2⁵³).
  case integer(Int64)
  /// An unsigned integer, printed exactly.
  case unsignedInteger(UInt64)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized() == rhs.serialized() }

  /// An integer value, printed exactly.
  public static func int(_ value: Int) -> JSONValue { .integer(Int64(value)) }
  /// An array of numbers.
  public static func numbers<S: Sequence>(_ values: S) -> JSONValue where S.Element: BinaryFloatingPoint {
    .array(values.map { .number(Double($0)) })
  }

  /// The compact JSON text; non-finite numbers become `null`, as JSON has no NaN or infinity.
  public func serialized() -> String {
    var text = ""
    append(to: &text)
    return text
  }

  private func append(to text: inout String) {
    switch self {
    case .null: text += "null"
    case .bool(let value): text += value ? "true" : "false"
    case .number(let value):
      if !value.isFinite {
        text += "null"
      } else if value == value.rounded(), abs(value) < 1e15 {
        text += String(Int64(value))
      } else {
        text += "\(value)"
      }
    case .integer(let value): text += String(value)
    case .unsignedInteger(let value): text += String(value)
    case .string(let value): JSONValue.appendQuoted(value, to: &text)
    case .array(let values):
      text += "["
      for (i, value) in values.enumerated() {
        if i > 0 { text += "," }
        value.append(to: &text)
      }
      text += "]"
    case .object(let members):
      text += "{"
      for (i, (key, value)) in members.enumerated() {
        if i > 0 { text += "," }
        JSONValue.appendQuoted(key, to: &text)
        text += ":"
        value.append(to: &text)
      }
      text += "}"
    }
  }

  /// Appends `string` as a JSON string: quotes and backslashes escaped, and every control character
  /// (C0, DEL and C1) and the line and paragraph separators as `\uXXXX`, so that the text prints safely to
  /// a terminal and parses in JavaScript too.
  private static func appendQuoted(_ string: String, to text: inout String) {
    text += "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": text += "\\\""
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      case "\t": text += "\\t"
      default:
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
          text += String(format: "\\u%04x", scalar.value)
        } else {
          text.unicodeScalars.append(scalar)
        }
      }
    }
    text += "\""
  }

  /// The member named `key` of an object, or `nil`.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.0 == key }?.1
  }
}
