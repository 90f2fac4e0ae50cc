import Foundation
import StateSpaces
import TensorCore

/// Option parsing, error mapping and JSON shared by the `structml ssm …` commands.
enum StateSpaceCommandSupport {
  static let measureOption = OptionSpec.value("measure", "M", "legs, legt, lagt or fout (default legs)")
  static let orderOption = OptionSpec.value("n", "N", "state size N (default 16)")

  /// Runs a library call and maps a `StateSpaceError` to an exit code: a parameter outside its domain came
  /// from the command line (usage, exit 2); bad data and numerical breakdowns are failures (exit 1).
  static func run<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as StateSpaceError {
      switch error.fault {
      case .parameter: throw CommandError.usage(error.description)
      case .input, .numerical: throw CommandError.failure(error.description)
      }
    }
  }

  static func measure(_ arguments: ParsedArguments) throws -> HiPPOMeasure {
    try run { try HiPPOMeasure(name: arguments.string("measure") ?? "legs") }
  }

  static func order(_ arguments: ParsedArguments, default value: Int = 16) throws -> Int {
    try arguments.int("n", default: value, in: 1...4096)!
  }

  static func method(_ arguments: ParsedArguments, default value: String) throws -> DiscretizationMethod {
    try run { try DiscretizationMethod(name: arguments.string("method") ?? value) }
  }

  /// The spectral radius of a discrete system with the interval that holds it, mapping an eigensolver failure
  /// to exit 1.
  struct Radius {
    let estimate: Double
    let bounds: ClosedRange<Double>
    var stability: DiscreteStability { DiscreteStability(spectralRadius: estimate) }

    init(_ system: StateSpaceMatrices) throws {
      (estimate, bounds) = try run { (try system.spectralRadius, try system.spectralRadiusBounds()) }
    }

    /// `spectral_radius`, `spectral_radius_bounds` (`[lower, upper]`), `stability` (`stable`, `marginal`,
    /// `unstable`) and `unstable`.
    var jsonMembers: [(String, JSONValue)] {
      [
        ("spectral_radius", .number(estimate)),
        ("spectral_radius_bounds", .numbers([bounds.lowerBound, bounds.upperBound])),
        ("stability", .string(stability.rawValue)), ("unstable", .bool(stability == .unstable)),
      ]
    }

    /// The radius as text, with its interval when the eigenvalues are ill-conditioned.
    var text: String {
      let wide = bounds.upperBound - bounds.lowerBound > 1e-6 * max(estimate, 1e-300)
      return formatted(estimate, digits: 6)
        + (wide
          ? " (ill-conditioned eigenvalues: within [\(formatted(bounds.lowerBound, digits: 4)), "
            + "\(formatted(bounds.upperBound, digits: 4))])" : "")
    }

    /// Prints the stability to standard error unless it is stable.
    func warnUnlessStable(console: Console) {
      switch stability {
      case .stable: break
      case .marginal:
        console.printError(
          "note: the discrete system is marginally stable (spectral radius \(text) within "
            + "\(DiscreteStability.tolerance) of 1)")
      case .unstable:
        console.printError("warning: the discrete system is unstable (spectral radius \(text) > 1)")
      }
    }
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
