import FuzzSupport
@testable import StructuredMLCLI

/// Splits a fuzz input into a command and its arguments: the first byte picks a command of the registry, the
/// rest is split at NUL bytes into arguments (decoded as UTF-8 with repair, as the process's arguments are).
func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> (command: Command, arguments: [String])? {
  guard let selector = bytes.first else { return nil }
  let commands = CommandRegistry.all
  let command = commands[Int(selector) % commands.count]
  let arguments = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false).map {
    String(decoding: $0, as: UTF8.self)
  }
  return (command, arguments)
}

/// The arguments that say the same as `parsed` in one canonical spelling: every option as `--name` or
/// `--name=value` in the order of `options`, then `--` and the positional arguments.
func canonicalArguments(_ parsed: ParsedArguments, options: [OptionSpec]) -> [String] {
  var arguments: [String] = []
  for option in options {
    if option.valueName == nil {
      if parsed.flag(option.name) { arguments.append("--\(option.name)") }
    } else if let value = parsed.string(option.name) {
      arguments.append("--\(option.name)=\(value)")
    }
  }
  return arguments + ["--"] + parsed.positional
}

/// Fuzzes the command-line parser of every command: parsing, every typed accessor on every option, and a
/// parse of the canonical spelling, which must give the same result. The tool itself runs only on the cheap
/// paths (help, unknown commands, the overview); no command's work runs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArguments(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard let (command, arguments) = decode(UnsafeBufferPointer(start: bytes, count: count)) else { return 0 }
  let options = command.allOptions
  if let parsed = try? ParsedArguments(arguments, options: options) {
    for option in options {
      _ = parsed.flag(option.name)
      _ = try? parsed.requiredString(option.name)
      _ = try? parsed.int(option.name)
      _ = try? parsed.int(option.name, default: 1, in: 1...4096)
      _ = try? parsed.double(option.name)
      _ = try? parsed.choice(option.name, ["a", "b"])
    }
    let canonical = canonicalArguments(parsed, options: options)
    guard let reparsed = try? ParsedArguments(canonical, options: options) else {
      fatalError("fuzz property failed: the canonical spelling \(canonical) of \(arguments) does not parse")
    }
    require(reparsed.positional == parsed.positional, "positional arguments of \(arguments) change when respelled")
    for option in options {
      require(
        reparsed.flag(option.name) == parsed.flag(option.name)
          && reparsed.string(option.name) == parsed.string(option.name),
        "option --\(option.name) of \(arguments) changes when respelled")
    }
  }
  runTool(command.path + arguments + ["--help"])
  if !CommandRegistry.all.contains(where: { arguments.starts(with: $0.path) }) {
    runTool(arguments)
  }
  return 0
}
