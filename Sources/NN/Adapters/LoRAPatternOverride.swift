/// A per-module exception to a ``LoRAConfiguration``'s rank or alpha: PEFT's `rank_pattern` and
/// `alpha_pattern` entries, in file order.
///
/// `pattern` matches a module whose whole name matches `(.*\.)?(pattern)` (PEFT's
/// `re.match(rf"(.*\.)?({key})$", name)`), so `"c_attn"` matches `transformer.h.0.attn.c_attn` and
/// `"h\.0\.attn\.c_attn"` only the first layer's. The first matching entry wins, as in PEFT.
public struct LoRAPatternOverride<Value: Sendable & Equatable>: Sendable, Equatable {
  /// The regular expression matched against the end of a module name, after a dot.
  public var pattern: String
  /// The rank or alpha of the modules that match.
  public var value: Value

  /// An override of `value` for the modules `pattern` matches.
  public init(_ pattern: String, _ value: Value) {
    self.pattern = pattern
    self.value = value
  }

  /// The value of the first override in `overrides` that matches a module name, compiled once.
  ///
  /// - Throws: ``LoRAError/invalidTargetPattern(pattern:reason:)`` for a pattern that does not compile.
  static func resolver(_ overrides: [LoRAPatternOverride]) throws(LoRAError) -> (String) -> Value? {
    var compiled: [(Regex<AnyRegexOutput>, Value)] = []
    for override in overrides {
      do {
        compiled.append((try Regex("(.*\\.)?(\(override.pattern))"), override.value))
      } catch {
        throw .invalidTargetPattern(pattern: override.pattern, reason: "\(error)")
      }
    }
    return { module in compiled.first { (try? $0.0.wholeMatch(in: module)) != nil }?.1 }
  }
}
