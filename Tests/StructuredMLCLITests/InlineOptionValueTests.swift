import StructuredMLCLI
import Testing

/// `--name=VALUE` splits at the first `=` scalar even when VALUE starts with a combining mark, which joins
/// the `=` into one grapheme cluster. Found by the `FuzzArguments` fuzzer
/// (`Fuzz/Regressions/FuzzArguments/combining_mark_after_equals`): `--input=\u{0618}…` was refused as the
/// unknown option `--input=\u{0618}…`, while `--input \u{0618}…` was accepted.
@Suite("Inline option values starting with combining marks")
struct InlineOptionValueTests {
  let options: [OptionSpec] = [.value("input", "PATH", "input"), .value("n", "N", "size")]

  @Test(arguments: ["\u{0618}\u{0B}i.sanso", "\u{0301}x.npy", "\u{200D}", "\u{FE0F}a", "\u{20DD}", "é=b"])
  func equalsFormMatchesSpacedForm(value: String) throws {
    let joined = try ParsedArguments(["--input=" + value], options: options)
    let spaced = try ParsedArguments(["--input", value], options: options)
    #expect(joined.string("input") == value)
    #expect(spaced.string("input") == value)
    #expect(joined.positional.isEmpty)
  }

  @Test func valueAfterTheFirstEqualsKeepsLaterEquals() throws {
    let parsed = try ParsedArguments(["--input=\u{0301}a=b=c"], options: options)
    #expect(parsed.string("input") == "\u{0301}a=b=c")
  }

  @Test func unknownNameIsStillNamedWithoutItsValue() {
    #expect(throws: CommandError.usage("unknown option '--inputs'")) {
      try ParsedArguments(["--inputs=\u{0301}x"], options: options)
    }
  }
}
