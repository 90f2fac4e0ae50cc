extension PEFTAdapterConfiguration {
  /// Whether PEFT puts an adapter on the module of this name, as `check_target_module_exists` decides.
  ///
  /// A module selected by `exclude_modules` is never adapted. Otherwise a string-valued `target_modules` is a
  /// regular expression the whole name must match; a list selects names equal to an entry or ending with
  /// `"." + entry`, and with `layers_to_transform` such a suffix match must also sit in one of those layers: the
  /// first `<list>.<index>.` of the name, where `<list>` is one of `layers_pattern` or, without it, any component.
  ///
  /// ```swift
  /// let configuration = PEFTAdapterConfiguration(targetModules: .modules(["q_proj"]))
  /// try configuration.targets("model.layers.0.self_attn.q_proj")   // true
  /// try configuration.targets("model.layers.0.self_attn.xq_proj")  // false: not a whole component
  /// ```
  /// - Parameter moduleName: The module's dotted name in the base model (`model.layers.0.self_attn.q_proj`).
  /// - Returns: `false` as well when `target_modules` is `nil` (PEFT would pick a default per architecture).
  /// - Throws: ``LoRAError/invalidField(file:field:reason:)`` when a pattern is not a valid regular expression.
  /// - Complexity: O(e·n) for e entries and a name of n characters, plus the cost of the regular expressions.
  public func targets(_ moduleName: String) throws(LoRAError) -> Bool {
    do {
      if let excludeModules, try excludeModules.matches(moduleName) { return false }
      guard let targetModules else { return false }
      if case .modules(let names) = targetModules, names.contains(moduleName) { return true }
      guard try targetModules.matches(moduleName) else { return false }
      // layers_to_transform restricts suffix matches of a list only.
      guard case .modules = targetModules, let layers = layersToTransform, !layers.isEmpty else { return true }
      guard let index = try layerIndex(of: moduleName) else { return false }
      return layers.contains(index)
    } catch .invalidTargetPattern(let pattern, let reason) {
      throw .invalidField(file: Self.fileName, field: "target_modules", reason: "'\(pattern)' is not a valid regular expression: \(reason)")
    }
  }

  /// The scale rule of the module of this name: its `rank_pattern` and `alpha_pattern` entries (the first
  /// key in sorted order whose pattern `(.*\.)?(key)` matches the whole name), else `r` and `lora_alpha`.
  ///
  /// - Throws: ``LoRAError/invalidField(file:field:reason:)`` for a pattern that is not a regular
  ///   expression, ``LoRAError/invalidRank(module:rank:maximum:)`` or ``LoRAError/invalidAlpha(module:alpha:)``.
  public func scaling(forModule moduleName: String) throws(LoRAError) -> LoRAScaling {
    do {
      return try plan.scaling(for: moduleName)
    } catch {
      throw Self.fieldError(error, file: Self.fileName, field: "rank_pattern or alpha_pattern")
    }
  }

  /// The LoRA plan this configuration describes, for adapting a model: the targets, rank and alpha with
  /// their per-module patterns (in PEFT's order), rsLoRA and the dropout.
  ///
  /// - Throws: ``LoRAError/invalidField(file:field:reason:)`` naming `file` for a pattern that is not a
  ///   regular expression.
  public func loraConfiguration(file: String = fileName) throws(LoRAError) -> LoRAConfiguration {
    try validate(file: file)
    return plan
  }

  /// The plan without the validation (for ``scaling(forModule:)``, called once per module of a checked file).
  private var plan: LoRAConfiguration {
    LoRAConfiguration(
      rank: rank, alpha: alpha, useRSLoRA: useRSLoRA, dropout: dropout, targets: targetModules ?? .modules([]),
      rankPattern: Self.overrides(rankPattern), alphaPattern: Self.overrides(alphaPattern))
  }

  /// A pattern table as ordered overrides: keys in the order PEFT tries them (sorted, as it writes them).
  static func overrides<Value>(_ table: [String: Value]) -> [LoRAPatternOverride<Value>] {
    table.keys.sorted(by: pythonOrder).map { LoRAPatternOverride($0, table[$0]!) }
  }

  /// A pattern error of the LoRA vocabulary as an error naming the configuration file's field.
  static func fieldError(_ error: LoRAError, file: String, field: String) -> LoRAError {
    guard case .invalidTargetPattern(let pattern, let reason) = error else { return error }
    return .invalidField(file: file, field: field, reason: "'\(pattern)' is not a valid regular expression: \(reason)")
  }

  static func pythonOrder(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
  }

  /// The layer index PEFT reads from a module name for `layers_to_transform`, or `nil` when there is none.
  private func layerIndex(of moduleName: String) throws(LoRAError) -> Int? {
    let expressions: [PEFTPattern]
    if let names = layersPattern, !names.isEmpty {
      expressions = try names.map { (name) throws(LoRAError) in try Self.layerIndexRegex(name) }
    } else {
      expressions = [try Self.regex(#"(.*?\.[^.]*\.(\d+)\.).*"#, field: "layers_pattern")]
    }
    for expression in expressions {
      if let digits = expression.lastGroupOfWholeMatch(moduleName) { return Int(digits) }
    }
    return nil
  }

  /// Whether a selection (`exclude_modules`) picks the module, by the rules of `target_modules`.
  static func layerIndexRegex(_ name: String, file: String = fileName) throws(LoRAError) -> PEFTPattern {
    try regex(#"((?:|.*?\.)"# + name + #"\.(\d+)\.).*"#, field: "layers_pattern", displayed: name, file: file)
  }

  /// A compiled regular expression, or an error naming the field and the pattern as written in the file.
  static func regex(
    _ pattern: String, field: String, displayed: String? = nil, file: String = fileName
  ) throws(LoRAError) -> PEFTPattern {
    do {
      return try PEFTPattern(pattern)
    } catch {
      throw .invalidField(
        file: file, field: field, reason: "'\(displayed ?? pattern)' is not a valid regular expression: \(error)")
    }
  }
}

/// A regular expression from an adapter configuration, matched against whole module names.
struct PEFTPattern {
  private let regex: Regex<AnyRegexOutput>

  init(_ pattern: String) throws { regex = try Regex(pattern) }

  /// Whether the whole name matches (Python's `re.fullmatch`).
  func wholeMatches(_ name: String) -> Bool { name.wholeMatch(of: regex) != nil }

  /// The last capture group of a whole-name match, or `nil` when there is no match.
  func lastGroupOfWholeMatch(_ name: String) -> Substring? {
    guard let match = name.wholeMatch(of: regex), let last = match.output.last else { return nil }
    return last.substring
  }
}
