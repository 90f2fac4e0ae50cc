import Testing

@testable import StructuredMLCLI

@Suite("Every command refuses arguments it does not take")
struct StrayArgumentTests {
  /// Every registered command without operands, given one stray word, exits 2 naming the word and does no
  /// work (nothing is printed on standard output).
  @Test func commandsWithoutOperandsRefuseAPositionalArgument() {
    let commands = CommandRegistry.all.filter { $0.operands.isEmpty }
    #expect(commands.count > 10)
    for command in commands {
      let console = Console.capturing()
      let status = StructuredMLTool.run(command.path + ["stray-word"], console: console)
      let name = command.path.joined(separator: " ")
      #expect(status == 2, "\(name): exit \(status)")
      #expect(console.standardError.contains("unexpected argument 'stray-word'"), "\(name): \(console.standardError)")
      #expect(console.standardOutput.isEmpty, "\(name) printed \(console.standardOutput)")
    }
  }

  @Test func inspectTakesExactlyOneFile() {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(["inspect", "a.npy", "b.npy"], console: console) == 2)
    #expect(console.standardError.contains("exactly one FILE"), "\(console.standardError)")
  }
}
