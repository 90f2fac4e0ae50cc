/// What the value of an option names on disk, so that outputs can be checked before a command does any
/// work (``OutputPaths``).
///
/// A struct rather than an enum with payloads: command tables are global constants, and an array kept only
/// in a multi-payload enum case is referenced through a pointer carrying tag bits, which LeakSanitizer does not
/// recognize (the fuzzers would report every file list as leaked).
public struct FileRole: Sendable, Equatable {
  /// The kinds of roles.
  public enum Kind: Sendable, Equatable {
    /// A file the command reads; in `FILE.safetensors:TENSOR` the file is the part before the colon.
    case input
    /// A file the command writes.
    case output
    /// A folder whose ``FileRole/files`` the command reads (a run folder); each is protected like an input.
    case inputFolder
    /// A folder the command writes ``FileRole/files`` into (created when missing).
    case outputFolder
  }

  /// The kind of role.
  public let kind: Kind
  /// The files of a folder role (empty for a file).
  public let files: [String]
  /// An output folder's path when the option is not given, or `nil` when the command requires the option.
  public let defaultPath: String?

  /// A file the command reads.
  public static let input = FileRole(kind: .input, files: [], defaultPath: nil)
  /// A file the command writes.
  public static let output = FileRole(kind: .output, files: [], defaultPath: nil)

  /// A folder whose `files` the command reads.
  public static func inputFolder(files: [String]) -> FileRole {
    FileRole(kind: .inputFolder, files: files, defaultPath: nil)
  }

  /// A folder the command writes `files` into, `defaultPath` when the option is not given.
  public static func outputFolder(defaultPath: String?, files: [String]) -> FileRole {
    FileRole(kind: .outputFolder, files: files, defaultPath: defaultPath)
  }
}

/// An option a command accepts: `--name VALUE` (or `--name=VALUE`) or a `--name` flag.
public struct OptionSpec: Sendable {
  /// The kebab-case name without the leading dashes.
  public let name: String
  /// The placeholder shown in help for the value, or `nil` for a flag.
  public let valueName: String?
  /// One line of help.
  public let help: String
  /// What the value names on disk, or `nil` when it is not a path.
  public let file: FileRole?

  /// An option that takes a value.
  public static func value(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
    OptionSpec(name: name, valueName: valueName, help: help, file: nil)
  }

  /// An option that names a file the command reads.
  public static func input(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
    OptionSpec(name: name, valueName: valueName, help: help, file: .input)
  }

  /// An option that names a file the command writes.
  public static func output(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
    OptionSpec(name: name, valueName: valueName, help: help, file: .output)
  }

  /// An option that names a folder whose `files` the command reads.
  public static func inputFolder(_ name: String, _ valueName: String, _ help: String, files: [String]) -> OptionSpec {
    OptionSpec(name: name, valueName: valueName, help: help, file: .inputFolder(files: files))
  }

  /// An option that names a folder the command writes `files` into, `defaultPath` when not given (`nil`:
  /// the command requires the option).
  public static func outputFolder(
    _ name: String, _ valueName: String, _ help: String, default defaultPath: String? = nil, files: [String]
  ) -> OptionSpec {
    OptionSpec(
      name: name, valueName: valueName, help: help, file: .outputFolder(defaultPath: defaultPath, files: files))
  }

  /// A flag that takes no value.
  public static func flag(_ name: String, _ help: String) -> OptionSpec {
    OptionSpec(name: name, valueName: nil, help: help, file: nil)
  }
}

/// The arguments of one command after parsing: option values by name, flags, and positional arguments.
///
/// Accessors convert and validate values and throw a ``CommandError/usage(_:)`` that names the option.
public struct ParsedArguments: Sendable {
  private var values: [String: String] = [:]
  private var flags: Set<String> = []
  /// The arguments that are not options, in order.
  public private(set) var positional: [String] = []
  /// The options the arguments were parsed against.
  public let options: [OptionSpec]

  /// Parses `arguments` against the options a command accepts.
  ///
  /// Accepts `--name value`, `--name=value` and flags; `--` ends the options.
  /// - Throws: ``CommandError/usage(_:)`` for an unknown option, a missing value or a repeated option.
  public init(_ arguments: [String], options: [OptionSpec]) throws {
    self.options = options
    var index = 0
    var optionsEnded = false
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if optionsEnded || !argument.hasPrefix("--") || argument == "-" {
        if !optionsEnded, argument.hasPrefix("-"), argument != "-", Double(argument) == nil {
          throw CommandError.usage("unknown option '\(argument)'")
        }
        positional.append(argument)
        continue
      }
      if argument == "--" {
        optionsEnded = true
        continue
      }
      var name = String(argument.dropFirst(2))
      var inlineValue: String?
      // Split at the scalar '=', not the Character: a value that starts with a combining mark joins the '='
      // into one grapheme cluster, which `firstIndex(of: "=")` would not find.
      let scalars = name.unicodeScalars
      if let equals = scalars.firstIndex(of: "=") {
        inlineValue = String(scalars[scalars.index(after: equals)...])
        name = String(scalars[..<equals])
      }
      guard let spec = options.first(where: { $0.name == name }) else {
        throw CommandError.usage("unknown option '--\(name)'")
      }
      if values[name] != nil || flags.contains(name) {
        throw CommandError.usage("option '--\(name)' given more than once")
      }
      if spec.valueName == nil {
        guard inlineValue == nil else { throw CommandError.usage("flag '--\(name)' takes no value") }
        flags.insert(name)
      } else if let inlineValue {
        values[name] = inlineValue
      } else {
        guard index < arguments.count else {
          throw CommandError.usage("option '--\(name)' needs a value (\(spec.valueName ?? "VALUE"))")
        }
        values[name] = arguments[index]
        index += 1
      }
    }
  }

  /// Whether a flag was given.
  public func flag(_ name: String) -> Bool { flags.contains(name) }

  /// The raw value of an option, or `nil` when it was not given.
  public func string(_ name: String) -> String? { values[name] }

  /// The value of an option that must be given.
  public func requiredString(_ name: String) throws -> String {
    guard let value = values[name] else { throw CommandError.usage("missing required option '--\(name)'") }
    return value
  }

  /// An integer option within `range`, or `defaultValue` when it was not given.
  public func int(_ name: String, default defaultValue: Int? = nil, in range: ClosedRange<Int> = Int.min...Int.max)
    throws -> Int?
  {
    guard let text = values[name] else { return defaultValue }
    guard let value = Int(text) else {
      throw CommandError.usage("option '--\(name)' expects an integer, got '\(text)'")
    }
    guard range.contains(value) else {
      throw CommandError.usage("option '--\(name)' must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
    return value
  }

  /// A real-valued option, or `defaultValue` when it was not given; it must be finite.
  public func double(_ name: String, default defaultValue: Double? = nil) throws -> Double? {
    guard let text = values[name] else { return defaultValue }
    guard let value = Double(text), value.isFinite else {
      throw CommandError.usage("option '--\(name)' expects a finite number, got '\(text)'")
    }
    return value
  }

  /// An option whose value must be one of `choices`.
  public func choice(_ name: String, _ choices: [String], default defaultValue: String? = nil) throws -> String? {
    guard let text = values[name] else { return defaultValue }
    guard choices.contains(text) else {
      throw CommandError.usage(
        "option '--\(name)' must be one of \(choices.joined(separator: ", ")), got '\(text)'")
    }
    return text
  }
}
