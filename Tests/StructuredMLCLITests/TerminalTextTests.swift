import StructuredMLCLI
import Testing

@Suite("Escaping file-provided text for the terminal")
struct TerminalTextTests {
  @Test func printableTextIsUnchanged() {
    for text in ["layer.0.weight", "Gewichte_äöü", "重み", "emoji 🙂", "a b"] {
      #expect(TerminalText.escaped(text) == text)
    }
  }

  @Test(arguments: [
    ("a\nb", #"a\nb"#), ("a\rb", #"a\rb"#), ("a\tb", #"a\tb"#), ("back\\slash", #"back\\slash"#),
    ("\u{1B}[31mred\u{1B}[0m", #"\u{1B}[31mred\u{1B}[0m"#), ("bell\u{07}", #"bell\u{7}"#), ("del\u{7F}", #"del\u{7F}"#),
    ("csi\u{9B}2J", #"csi\u{9B}2J"#), ("rtl\u{202E}txt", #"rtl\u{202E}txt"#), ("line\u{2028}sep", #"line\u{2028}sep"#),
    ("nul\u{0}", #"nul\u{0}"#), ("private\u{E000}", #"private\u{E000}"#),
  ])
  func controlAndInvisibleCharactersBecomeVisibleEscapes(text: String, escaped: String) {
    let result = TerminalText.escaped(text)
    #expect(result == escaped)
    #expect(result.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) })
  }
}

@Suite("Text tables escape every cell")
struct TextTableEscapingTests {
  @Test func cellsFromFilesCannotForgeRowsOrSendEscapes() {
    let table = TextTable(header: ["name", "bytes"], rows: [["a\nforged | row", "4"], ["\u{1B}[2Jb", "16"]], firstNumericColumn: 1)
    // Column widths are those of the escaped cells: 15 (`a\nforged | row`) and 5 (`bytes`).
    #expect(table.lines == ["name             bytes", #"a\nforged | row"# + "      4", #"\u{1B}[2Jb"# + "          16"])
  }
}

@Suite("JSON output keeps integers exact and escapes control characters")
struct JSONExactnessTests {
  @Test func integersAtAndBeyondTwoToTheFiftyThreePrintExactly() {
    let value = JSONValue.array([
      .int(1 << 53), .int((1 << 53) + 1), .int(Int.max), .int(Int.min), .integer(-((1 << 53) + 1)),
      .unsignedInteger(UInt64.max), .unsignedInteger((1 << 63) + 1),
    ])
    #expect(
      value.serialized()
        == "[9007199254740992,9007199254740993,9223372036854775807,-9223372036854775808,-9007199254740993,"
        + "18446744073709551615,9223372036854775809]")
  }

  @Test func controlCharactersAreEscapedPerJSONRules() {
    let text = JSONValue.string("a\u{1B}[2J\u{7F}\u{9B}\u{2028}\u{0}\"\\").serialized()
    #expect(text == #""a\u001b[2J\u007f\u009b\u2028\u0000\"\\""#)
  }
}
