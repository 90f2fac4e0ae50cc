/// Text from files and command lines made safe to print to a terminal.
///
/// A tensor name, a metadata value or a path can hold escape sequences that recolour or clear the
/// terminal, newlines that forge extra table rows, or bidirectional overrides that reorder what is shown.
/// Every command prints such text through ``escaped(_:)``, which turns each of those characters into a
/// visible escape; printable text, including non-ASCII letters, is unchanged.
public enum TerminalText {
  /// `text` with every control, format, separator, private-use or unassigned character written as a
  /// visible escape: `\n`, `\r`, `\t`, or `\u{1B}` (hexadecimal code point); a backslash becomes `\\` so
  /// that the result is unambiguous.
  ///
  /// - Parameter text: Text that came from a file or a user.
  /// - Returns: Text that prints as one line, exactly as shown.
  /// - Complexity: O(text.unicodeScalars.count).
  public static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var result = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\\": result.append(contentsOf: #"\\"#.unicodeScalars)
      case "\n": result.append(contentsOf: #"\n"#.unicodeScalars)
      case "\r": result.append(contentsOf: #"\r"#.unicodeScalars)
      case "\t": result.append(contentsOf: #"\t"#.unicodeScalars)
      default:
        if needsEscape(scalar) {
          result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
        } else {
          result.append(scalar)
        }
      }
    }
    return String(result)
  }

  private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: return true
    default: return scalar == "\\"
    }
  }
}
