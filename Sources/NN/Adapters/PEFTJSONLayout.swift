/// The layout Python's `json.dumps(value, indent=2)` gives a JSON text, which PEFT uses for its configuration files.
enum PEFTJSONLayout {
  /// Re-lays out compact JSON (no whitespace outside strings, as `JSONEncoder` writes it): one member or element
  /// per line indented by 2 spaces per level, `": "` after keys, `{}` and `[]` for empty containers.
  ///
  /// - Complexity: O(n) for n bytes.
  static func indented(_ compact: [UInt8]) -> [UInt8] {
    let (quote, backslash, comma, colon, space, newline) = (UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: ","),
      UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "\n"))
    let closing: [UInt8: UInt8] = [UInt8(ascii: "{"): UInt8(ascii: "}"), UInt8(ascii: "["): UInt8(ascii: "]")]
    var output: [UInt8] = []
    output.reserveCapacity(compact.count * 2)
    var depth = 0
    var inString = false
    var escaped = false
    var index = 0
    func breakLine() {
      output.append(newline)
      output.append(contentsOf: repeatElement(space, count: 2 * depth))
    }
    while index < compact.count {
      let byte = compact[index]
      index += 1
      if inString {
        output.append(byte)
        if escaped { escaped = false } else if byte == backslash { escaped = true } else if byte == quote { inString = false }
        continue
      }
      switch byte {
      case quote:
        inString = true
        output.append(byte)
      case _ where closing[byte] != nil:
        output.append(byte)
        if index < compact.count, compact[index] == closing[byte] {
          output.append(compact[index])
          index += 1
        } else {
          depth += 1
          breakLine()
        }
      case _ where closing.values.contains(byte):
        depth -= 1
        breakLine()
        output.append(byte)
      case comma:
        output.append(byte)
        breakLine()
      case colon:
        output.append(contentsOf: [colon, space])
      default:
        output.append(byte)
      }
    }
    return output
  }
}
