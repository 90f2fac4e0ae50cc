/// A JSON value as the safetensors header reader sees it: object members keep their order, and numbers
/// keep their text so that integers are read exactly.
enum HeaderJSON: Equatable {
  case null
  case bool(Bool)
  case number(String)
  case string(String)
  case array([HeaderJSON])
  case object([(key: String, value: HeaderJSON)])

  static func == (lhs: HeaderJSON, rhs: HeaderJSON) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.number(let a), .number(let b)), (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: return false
    }
  }

  /// The value as a non-negative integer, if it is a JSON integer that fits in `Int`.
  var nonNegativeInt: Int? {
    guard case .number(let text) = self, !text.isEmpty else { return nil }
    var value = 0
    for digit in text.utf8 {
      guard (0x30...0x39).contains(digit) else { return nil }
      let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
      let (sum, carry) = scaled.addingReportingOverflow(Int(digit - 0x30))
      guard !overflow, !carry else { return nil }
      value = sum
    }
    return value
  }

  /// A short name of the kind of value, for messages (long numbers and strings are cut short).
  var kind: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .number(let text): return "the number \(text.count > 40 ? text.prefix(40) + "…" : text)"
    case .string(let text): return "the string \"\(text.count > 80 ? text.prefix(80) + "…" : text)\""
    case .array: return "a list"
    case .object: return "an object"
    }
  }

  /// Parses a complete JSON text (RFC 8259) strictly: no trailing commas, no comments, no duplicate keys,
  /// nesting at most `maximumDepth` deep; whitespace may follow the value.
  ///
  /// - Throws: ``HeaderJSONError`` with the byte offset of the problem.
  /// - Complexity: O(text.count).
  static func parse(_ text: [UInt8], maximumDepth: Int = 64) throws(HeaderJSONError) -> HeaderJSON {
    try text.withUnsafeBufferPointer { (buffer) throws(HeaderJSONError) -> HeaderJSON in
      var parser = Parser(text: buffer, maximumDepth: maximumDepth)
      let value = try parser.value(depth: 0)
      parser.skipWhitespace()
      guard parser.index == buffer.count else { throw parser.error("unexpected text after the JSON value") }
      return value
    }
  }

  private struct Parser {
    let text: UnsafeBufferPointer<UInt8>
    let maximumDepth: Int
    var index = 0

    func error(_ message: String) -> HeaderJSONError { HeaderJSONError(message: message, offset: index) }

    mutating func skipWhitespace() {
      while index < text.count {
        switch text[index] {
        case 0x20, 0x09, 0x0A, 0x0D: index += 1
        default: return
        }
      }
    }

    mutating func expect(_ byte: UInt8) throws(HeaderJSONError) {
      skipWhitespace()
      guard index < text.count, text[index] == byte else {
        throw error("expected '\(Character(Unicode.Scalar(byte)))'")
      }
      index += 1
    }

    mutating func value(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
      guard depth < maximumDepth else { throw error("nesting deeper than \(maximumDepth) levels") }
      skipWhitespace()
      guard index < text.count else { throw error("unexpected end of text") }
      switch text[index] {
      case UInt8(ascii: "{"): return try object(depth: depth)
      case UInt8(ascii: "["): return try array(depth: depth)
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): try literal("true".utf8); return .bool(true)
      case UInt8(ascii: "f"): try literal("false".utf8); return .bool(false)
      case UInt8(ascii: "n"): try literal("null".utf8); return .null
      default: return .number(try number())
      }
    }

    mutating func literal(_ word: String.UTF8View) throws(HeaderJSONError) {
      guard text.count - index >= word.count, text[index..<(index + word.count)].elementsEqual(word) else {
        throw error("invalid literal")
      }
      index += word.count
    }

    mutating func object(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
      index += 1
      var members: [(key: String, value: HeaderJSON)] = []
      var keys = Set<String>()
      skipWhitespace()
      if index < text.count, text[index] == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      }
      while true {
        skipWhitespace()
        guard index < text.count, text[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
        let keyOffset = index
        let key = try string()
        guard keys.insert(key).inserted else {
          throw HeaderJSONError(message: "duplicate key \"\(key)\"", offset: keyOffset)
        }
        try expect(UInt8(ascii: ":"))
        members.append((key, try value(depth: depth + 1)))
        skipWhitespace()
        guard index < text.count else { throw error("unexpected end of text in an object") }
        if text[index] == UInt8(ascii: "}") {
          index += 1
          return .object(members)
        }
        try expect(UInt8(ascii: ","))
      }
    }

    mutating func array(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
      index += 1
      var elements: [HeaderJSON] = []
      skipWhitespace()
      if index < text.count, text[index] == UInt8(ascii: "]") {
        index += 1
        return .array(elements)
      }
      while true {
        elements.append(try value(depth: depth + 1))
        skipWhitespace()
        guard index < text.count else { throw error("unexpected end of text in a list") }
        if text[index] == UInt8(ascii: "]") {
          index += 1
          return .array(elements)
        }
        try expect(UInt8(ascii: ","))
      }
    }

    /// A string; runs of plain bytes are decoded at once (the header was checked to be UTF-8).
    mutating func string() throws(HeaderJSONError) -> String {
      index += 1
      var result = ""
      var runStart = index
      while index < text.count {
        switch text[index] {
        case UInt8(ascii: "\""):
          result += String(decoding: text[runStart..<index], as: UTF8.self)
          index += 1
          return result
        case UInt8(ascii: "\\"):
          result += String(decoding: text[runStart..<index], as: UTF8.self)
          index += 1
          result.unicodeScalars.append(try escape())
          runStart = index
        case 0..<0x20:
          throw error("control character in a string")
        default:
          index += 1
        }
      }
      throw error("unterminated string")
    }

    mutating func escape() throws(HeaderJSONError) -> Unicode.Scalar {
      guard index < text.count else { throw error("unterminated escape") }
      let byte = text[index]
      index += 1
      switch byte {
      case UInt8(ascii: "\""): return "\""
      case UInt8(ascii: "\\"): return "\\"
      case UInt8(ascii: "/"): return "/"
      case UInt8(ascii: "b"): return "\u{08}"
      case UInt8(ascii: "f"): return "\u{0C}"
      case UInt8(ascii: "n"): return "\n"
      case UInt8(ascii: "r"): return "\r"
      case UInt8(ascii: "t"): return "\t"
      case UInt8(ascii: "u"):
        let first = try hex4()
        if (0xD800..<0xDC00).contains(first) {
          guard text.count - index >= 6, text[index] == UInt8(ascii: "\\"), text[index + 1] == UInt8(ascii: "u")
          else { throw error("unpaired surrogate in \\u escape") }
          index += 2
          let second = try hex4()
          guard (0xDC00..<0xE000).contains(second),
            let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
          else { throw error("invalid surrogate pair in \\u escape") }
          return scalar
        }
        guard let scalar = Unicode.Scalar(first) else { throw error("unpaired surrogate in \\u escape") }
        return scalar
      default:
        index -= 1
        throw error("invalid escape")
      }
    }

    mutating func hex4() throws(HeaderJSONError) -> UInt32 {
      guard text.count - index >= 4,
        let value = UInt32(String(decoding: text[index..<(index + 4)], as: UTF8.self), radix: 16)
      else { throw error("invalid \\u escape") }
      index += 4
      return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() throws(HeaderJSONError) -> String {
      let start = index
      func digits() -> Int {
        let first = index
        while index < text.count, (0x30...0x39).contains(text[index]) { index += 1 }
        return index - first
      }
      if index < text.count, text[index] == UInt8(ascii: "-") { index += 1 }
      let integerStart = index
      let integerDigits = digits()
      guard integerDigits > 0 else {
        index = start
        throw error("unexpected character")
      }
      guard integerDigits == 1 || text[integerStart] != UInt8(ascii: "0") else {
        throw error("number with a leading zero")
      }
      if index < text.count, text[index] == UInt8(ascii: ".") {
        index += 1
        guard digits() > 0 else { throw error("number without digits after '.'") }
      }
      if index < text.count, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
        index += 1
        if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
        guard digits() > 0 else { throw error("number without exponent digits") }
      }
      return String(decoding: text[start..<index], as: UTF8.self)
    }
  }
}

/// Why a JSON text did not parse, and where.
struct HeaderJSONError: Error, CustomStringConvertible {
  let message: String
  let offset: Int
  var description: String { "\(message) at byte \(offset)" }
}
