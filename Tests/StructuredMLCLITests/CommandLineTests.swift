import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import StructuredMLCLI
import Testing

@Suite("Command-line parsing")
struct ParsedArgumentsTests {
  let options: [OptionSpec] = [
    .value("out-file", "PATH", "output"), .value("n", "N", "size"), .value("map", "MAP", "map"),
    .flag("json", "json"),
  ]

  @Test func spaceAndEqualsFormsGiveTheSameValue() throws {
    let spaced = try ParsedArguments(["--out-file", "x.npy", "--n", "12"], options: options)
    let joined = try ParsedArguments(["--out-file=x.npy", "--n=12"], options: options)
    #expect(spaced.string("out-file") == "x.npy")
    #expect(joined.string("out-file") == "x.npy")
    #expect(try spaced.int("n") == 12)
    #expect(try joined.int("n") == 12)
  }

  @Test func flagsPositionalsAndDoubleDash() throws {
    let parsed = try ParsedArguments(["a.npy", "--json", "--", "--not-an-option"], options: options)
    #expect(parsed.flag("json"))
    #expect(parsed.positional == ["a.npy", "--not-an-option"])
  }

  @Test(arguments: [
    (["--bogus"], "unknown option '--bogus'"),
    (["--n"], "option '--n' needs a value (N)"),
    (["--n", "1", "--n", "2"], "option '--n' given more than once"),
    (["--json=yes"], "flag '--json' takes no value"),
    (["-x"], "unknown option '-x'"),
  ])
  func malformedCommandLinesNameTheOption(arguments: [String], message: String) {
    #expect(throws: CommandError.usage(message)) { try ParsedArguments(arguments, options: options) }
  }

  @Test func valueConversionErrorsNameTheOption() throws {
    let parsed = try ParsedArguments(["--n", "twelve", "--map", "softmin"], options: options)
    #expect(throws: CommandError.usage("option '--n' expects an integer, got 'twelve'")) { try parsed.int("n") }
    #expect(throws: CommandError.usage("option '--map' must be one of softmax, sparsemax, got 'softmin'")) {
      try parsed.choice("map", ["softmax", "sparsemax"])
    }
    let range = try ParsedArguments(["--n", "0"], options: options)
    #expect(throws: CommandError.usage("option '--n' must be in 1...10, got 0")) { try range.int("n", in: 1...10) }
    #expect(throws: CommandError.usage("missing required option '--out-file'")) { try range.requiredString("out-file") }
  }

  @Test func negativeNumbersAreValuesNotOptions() throws {
    let parsed = try ParsedArguments(["--n", "-3", "-0.5"], options: options)
    #expect(try parsed.int("n") == -3)
    #expect(parsed.positional == ["-0.5"])
  }
}

@Suite("structml dispatch and exit codes")
struct ToolDispatchTests {
  @Test func versionAndHelpExitZero() {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(["--version"], console: console) == 0)
    #expect(console.standardOutput == "structml \(StructuredMLTool.version)\n")
    let help = Console.capturing()
    #expect(StructuredMLTool.run(["--help"], console: help) == 0)
    #expect(help.standardOutput.contains("bench gemm"))
    let commandHelp = Console.capturing()
    #expect(StructuredMLTool.run(["bench", "gemm", "--help"], console: commandHelp) == 0)
    #expect(commandHelp.standardOutput.contains("usage: structml bench gemm [--n N]"))
  }

  @Test func unknownCommandIsAUsageError() {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(["frobnicate"], console: console) == 2)
    #expect(console.standardError.contains("unknown command 'frobnicate'"))
    #expect(console.standardOutput.isEmpty)
  }

  @Test func badOptionValuePrintsMessageAndUsageToStandardError() {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(["bench", "gemm", "--n", "0"], console: console) == 2)
    #expect(console.standardError.contains("structml bench gemm: option '--n' must be in 1...16384, got 0"))
    #expect(console.standardError.contains("usage: structml bench gemm"))
    #expect(console.standardOutput.isEmpty)
  }

  @Test func benchGEMMJSONHasTheRequiredKeysAndAPlausibleRate() throws {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(["bench", "gemm", "--n", "64", "--json"], console: console) == 0)
    let object = try #require(
      JSONSerialization.jsonObject(with: Data(console.standardOutput.utf8)) as? [String: Any])
    #expect(object["n"] as? Int == 64)
    let seconds = try #require(object["seconds"] as? Double)
    let gflops = try #require(object["gflops"] as? Double)
    #expect(seconds > 0)
    #expect(abs(gflops - 2 * 64 * 64 * 64 / seconds * 1e-9) < 1e-6 * gflops)
  }
}

@Suite("JSON output")
struct JSONValueTests {
  @Test func serializationIsValidJSONWithOrderedKeysAndNoNaN() throws {
    let value = JSONValue.object([
      ("b", .int(3)), ("a", .number(0.25)), ("nan", .number(.nan)), ("text", .string("quote \" and\nline")),
      ("list", .array([.bool(true), .null])),
    ])
    let text = value.serialized()
    #expect(text == #"{"b":3,"a":0.25,"nan":null,"text":"quote \" and\nline","list":[true,null]}"#)
    let parsed = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(parsed["text"] as? String == "quote \" and\nline")
  }
}

@Suite("SVG charts")
struct SVGChartTests {
  @Test func chartIsWellFormedXMLWithOneLinePerSeries() throws {
    let chart = SVGChart(
      title: "t < u", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "one", points: [(1, 1), (10, 100), (100, 10)]),
        .init(name: "two", points: [(1, 0), (2, .nan)], markers: true),
      ], logX: true, logY: true)
    let svg = chart.render()
    let document = try XMLDocument(xmlString: svg)
    let lines = try document.nodes(forXPath: "//*[local-name()='polyline']")
    #expect(lines.count == 1)  // the second series has no positive finite point on log axes
    #expect(svg.contains("t &lt; u"))
  }
}

@Suite("Chart ticks")
struct ChartTickTests {
  @Test func linearTicksAreRoundStepsCoveringTheRange() {
    #expect(SVGChart.ticks(from: 0.45, to: 12.6, log: false) == [0, 5, 10, 15])
    #expect(SVGChart.ticks(from: -0.3, to: 0.7, log: false).map { ($0 * 10).rounded() / 10 } == [-0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8])
  }

  @Test func logTicksAreDecadesOrOneTwoFive() {
    #expect(SVGChart.ticks(from: -6, to: 0, log: true) == [-6, -5, -4, -3, -2, -1, 0])
    let ticks = SVGChart.ticks(from: log10(0.05), to: 0, log: true).map { (pow(10, $0) * 1000).rounded() / 1000 }
    #expect(ticks == [0.05, 0.1, 0.2, 0.5, 1])
  }
}
