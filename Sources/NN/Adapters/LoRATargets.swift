/// Which linear modules of a model receive an adapter, with PEFT's `target_modules` semantics.
///
/// Coded as PEFT's `adapter_config.json` codes it: a JSON array for ``modules(_:)``, a string for
/// ``pattern(_:)``.
public enum LoRATargets: Codable, Sendable, Equatable, CustomStringConvertible {
  /// Module names, each matching a module whose name equals it or ends with `"." + name` (`["c_attn"]`
  /// matches `transformer.h.0.attn.c_attn`).
  case modules([String])
  /// A regular expression that must match the whole module name (Python's `re.fullmatch`), such as
  /// `.*\.(c_attn|c_fc)`.
  case pattern(String)

  /// Decodes a JSON array of names or a regular expression string.
  ///
  /// - Throws: `DecodingError` for anything else.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let names = try? container.decode([String].self) {
      self = .modules(names)
    } else {
      self = .pattern(try container.decode(String.self))
    }
  }

  /// Encodes the targets as ``init(from:)`` reads them.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .modules(let names): try container.encode(names)
    case .pattern(let pattern): try container.encode(pattern)
    }
  }

  /// A matcher of module names, with the pattern compiled once.
  ///
  /// - Throws: ``LoRAError/invalidTargetPattern(pattern:reason:)`` for a pattern that does not compile.
  func matcher() throws(LoRAError) -> (String) -> Bool {
    switch self {
    case .modules(let names):
      return { module in names.contains { module == $0 || module.hasSuffix("." + $0) } }
    case .pattern(let pattern):
      let regex: Regex<AnyRegexOutput>
      do { regex = try Regex(pattern) } catch { throw .invalidTargetPattern(pattern: pattern, reason: "\(error)") }
      return { module in (try? regex.wholeMatch(in: module)) != nil }
    }
  }

  /// Whether module `module` is a target.
  ///
  /// - Throws: ``LoRAError/invalidTargetPattern(pattern:reason:)`` for a pattern that does not compile.
  public func matches(_ module: String) throws(LoRAError) -> Bool { try matcher()(module) }

  /// `["c_attn", "c_fc"]` or `/.*\.c_attn/`.
  public var description: String {
    switch self {
    case .modules(let names): return "[" + names.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    case .pattern(let pattern): return "/\(pattern)/"
    }
  }
}
