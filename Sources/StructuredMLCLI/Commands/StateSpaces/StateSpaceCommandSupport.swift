import StateSpaces
import TensorCore

/// Option parsing and JSON shared by the `structml ssm …` commands.
enum StateSpaceCommandSupport {
  static let measureOption = OptionSpec.value("measure", "M", "legs, legt, lagt or fout (default legs)")
  static let orderOption = OptionSpec.value("n", "N", "state size N (default 16)")

  /// Runs a library call, turning a `StateSpaceError` into a usage error (exit 2).
  static func usage<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as StateSpaceError { throw CommandError.usage(error.description) }
  }

  static func measure(_ arguments: ParsedArguments) throws -> HiPPOMeasure {
    try usage { try HiPPOMeasure(name: arguments.string("measure") ?? "legs") }
  }

  static func order(_ arguments: ParsedArguments, default value: Int = 16) throws -> Int {
    try arguments.int("n", default: value, in: 1...4096)!
  }

  static func method(_ arguments: ParsedArguments, default value: String) throws -> DiscretizationMethod {
    try usage { try DiscretizationMethod(name: arguments.string("method") ?? value) }
  }

  /// `{"A": rows, "B": entries}` plus extra members.
  static func json(_ system: StateSpaceMatrices, extra: [(String, JSONValue)] = []) -> JSONValue {
    let n = system.order
    let rows = (0..<n).map { i in JSONValue.numbers(system.a.scalars[i * n..<(i + 1) * n]) }
    return .object([("A", .array(rows)), ("B", .numbers(system.b))] + extra)
  }

  /// Prints A and B as aligned text.
  static func printMatrices(_ system: StateSpaceMatrices, console: Console) {
    let n = system.order
    console.print("A =")
    for i in 0..<n {
      console.print("  " + (0..<n).map { formatted(system.a[i, $0], digits: 6) }.joined(separator: "  "))
    }
    console.print("B =")
    console.print("  " + system.b.map { formatted($0, digits: 6) }.joined(separator: "  "))
  }
}
