/// A Python literal as found in an `.npy` header: the subset of `ast.literal_eval` that NumPy writes.
///
/// Strings (single or double quotes, with `\\`, `\'` and `\"` escapes), integers, `True`, `False`,
/// `None`, tuples, lists and dicts with string keys. A parenthesised value without a comma is that value,
/// as in Python, so `(5)` is the integer 5, not a tuple.
enum PythonLiteral: Equatable {
  case string(String)
  case int(Int)
  case bool(Bool)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  case dict([String: PythonLiteral])

  /// A short description of the kind of value, for messages (long strings are cut short).
  var kind: String {
    switch self {
    case .string(let text): return "the string '\(text.count > 80 ? text.prefix(80) + "…" : text)'"
    case .int(let value): return "the integer \(value)"
    case .bool(let value): return value ? "True" : "False"
    case .none: return "None"
    case .tuple: return "a tuple"
    case .list: return "a list"
    case .dict: return "a dict"
    }
  }

  /// Parses one literal that fills `text` apart from surrounding whitespace.
  ///
  /// - Throws: ``PythonLiteralError`` with the character offset of the problem.
  static func parse(_ text: String) throws(PythonLiteralError) -> PythonLiteral {
    var parser = Parser(characters: Array(text.unicodeScalars))
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.index == parser.characters.count else {
      throw parser.error("unexpected text after the literal")
    }
    return value
  }

  private struct Parser {
    let characters: [Unicode.Scalar]
    var index = 0

    func error(_ message: String) -> PythonLiteralError { PythonLiteralError(message: message, offset: index) }

    var current: Unicode.Scalar? { index < characters.count ? characters[index] : nil }

    mutating func skipWhitespace() {
      while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
    }

    mutating func value(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
      guard depth < 32 else { throw error("nesting too deep") }
      skipWhitespace()
      guard let c = current else { throw error("unexpected end of header") }
      switch c {
      case "{": return try dict(depth: depth)
      case "(": return try sequence(closing: ")", depth: depth)
      case "[": return try sequence(closing: "]", depth: depth)
      case "'", "\"": return .string(try string())
      case "-", "0"..."9": return .int(try integer())
      default:
        let word = identifier()
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default: throw error(word.isEmpty ? "unexpected character '\(c)'" : "unknown name '\(word)'")
        }
      }
    }

    mutating func identifier() -> String {
      var word = ""
      while let c = current, c.properties.isAlphabetic || c == "_" {
        word.unicodeScalars.append(c)
        index += 1
      }
      return word
    }

    mutating func dict(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
      index += 1
      var entries: [String: PythonLiteral] = [:]
      while true {
        skipWhitespace()
        if current == "}" {
          index += 1
          return .dict(entries)
        }
        let keyOffset = index
        guard case .string(let key) = try value(depth: depth + 1) else {
          throw PythonLiteralError(message: "dict key is not a string", offset: keyOffset)
        }
        guard entries[key] == nil else {
          throw PythonLiteralError(message: "duplicate key '\(key)'", offset: keyOffset)
        }
        skipWhitespace()
        guard current == ":" else { throw error("expected ':' after key '\(key)'") }
        index += 1
        entries[key] = try value(depth: depth + 1)
        skipWhitespace()
        if current == "," {
          index += 1
        } else if current != "}" {
          throw error(current == nil ? "unexpected end of header in a dict" : "expected ',' or '}'")
        }
      }
    }

    mutating func sequence(closing: Unicode.Scalar, depth: Int) throws(PythonLiteralError) -> PythonLiteral {
      let isTuple = closing == ")"
      index += 1
      var elements: [PythonLiteral] = []
      var sawComma = false
      while true {
        skipWhitespace()
        if current == closing {
          index += 1
          if isTuple && elements.count == 1 && !sawComma { return elements[0] }
          return isTuple ? .tuple(elements) : .list(elements)
        }
        elements.append(try value(depth: depth + 1))
        skipWhitespace()
        if current == "," {
          index += 1
          sawComma = true
        } else if current != closing {
          throw error(current == nil ? "unexpected end of header" : "expected ',' or '\(closing)'")
        }
      }
    }

    mutating func string() throws(PythonLiteralError) -> String {
      guard let quote = current else { throw error("expected a string") }
      index += 1
      var text = ""
      while let c = current {
        index += 1
        if c == quote { return text }
        if c == "\n" { break }
        if c == "\\" {
          guard let escaped = current, escaped == "\\" || escaped == "'" || escaped == "\"" else {
            throw error("unsupported escape in a string")
          }
          index += 1
          text.unicodeScalars.append(escaped)
        } else {
          text.unicodeScalars.append(c)
        }
      }
      throw error("unterminated string")
    }

    /// A decimal integer; a trailing `L` (Python 2 headers) is accepted.
    mutating func integer() throws(PythonLiteralError) -> Int {
      let start = index
      var text = ""
      if current == "-" {
        text.append("-")
        index += 1
      }
      while let c = current, ("0"..."9").contains(c) {
        text.unicodeScalars.append(c)
        index += 1
      }
      if current == "L" { index += 1 }
      guard let value = Int(text) else {
        index = start
        throw error("integer '\(text)' is malformed or out of range")
      }
      return value
    }
  }
}

/// Why a Python literal did not parse, and where.
struct PythonLiteralError: Error, CustomStringConvertible {
  let message: String
  let offset: Int
  var description: String { "\(message) at character \(offset)" }
}
