import ProbabilityMaps

/// The maps the `probmap` and `bench probmap` commands can run, by their command-line names.
enum ProbabilityMapChoice {
  /// The names accepted by `--map`.
  static let names = ["softmax", "logsoftmax", "taylor", "topk", "sparsemax", "entmax15", "entmax"]

  /// The parameter options and the maps each one applies to; any other map refuses them.
  static let parameterOptions: [(option: String, maps: [String])] = [
    ("alpha", ["entmax"]), ("k", ["topk"]), ("temperature", ["softmax", "logsoftmax", "topk"]),
  ]

  /// Refuses a parameter option given for a map it does not apply to.
  ///
  /// - Throws: ``CommandError/usage(_:)`` naming the option, the map and the maps it is for.
  static func checkApplicable(_ name: String, given: (String) -> Bool) throws {
    for (option, maps) in parameterOptions where given(option) && !maps.contains(name) {
      throw CommandError.usage(
        "option '--\(option)' does not apply to --map \(name) (it is for --map \(maps.joined(separator: ", ")))")
    }
  }

  /// The map called `name` with the parameters of the command line.
  ///
  /// - Throws: ``CommandError/usage(_:)`` naming the option when a parameter is out of its domain.
  static func make(_ name: String, alpha: Double, k: Int, temperature: Double) throws -> any ProbabilityMap {
    do {
      switch name {
      case "softmax": return try Softmax(temperature: temperature)
      case "logsoftmax": return try LogSoftmax(temperature: temperature)
      case "taylor": return TaylorSoftmax()
      case "topk": return try TopKSoftmax(k: k, temperature: temperature)
      case "sparsemax": return Sparsemax()
      case "entmax15": return Entmax15()
      default: return try Entmax(alpha: alpha)
      }
    } catch let error as ProbabilityMapError {
      let option = error.parameter.map { "--" + $0 } ?? "--\(name)"
      throw CommandError.usage("option '\(option)': \(error)")
    }
  }
}
