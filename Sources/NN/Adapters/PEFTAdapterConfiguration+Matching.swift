extension PEFTAdapterConfiguration {
  /// Whether PEFT puts an adapter on the module of this name, as `check_target_module_exists` decides.
  ///
  /// A module selected by `exclude_modules` is never adapted. Otherwise a string-valued `target_modules` is a
  /// regular expression the whole name must match; a list selects names equal to an entry or ending with
  /// `"." + entry`, and with `layers_to_transform` such a suffix match must also sit in one of those layers: the
  /// first `<list>.<index>.` of the name, where `<list>` is one of `layers_pattern` or, without it, any component.
  ///
  /// ```swift
  /// let configuration = PEFTAdapterConfiguration(targetModules: .names(["q_proj"]))
  /// try configuration.targets("model.layers.0.self_attn.q_proj")   // true
  /// try configuration.targets("model.layers.0.self_attn.xq_proj")  // false: not a whole component
  /// ```
  /// - Parameter moduleName: The module's dotted name in the base model (`model.layers.0.self_attn.q_proj`).
  /// - Returns: `false` as well when `target_modules` is `nil` (PEFT would pick a default per architecture).
  /// - Throws: ``LoRAError/invalidField(file:field:reason:)`` when a pattern is not a valid regular expression.
  /// - Complexity: O(e·n) for e entries and a name of n characters, plus the cost of the regular expressions.
  public func targets(_ moduleName: String) throws(LoRAError) -> Bool {
    if let excludeModules, try Self.selects(excludeModules, moduleName, field: "exclude_modules") { return false }
    switch targetModules {
    case nil: return false
    case .pattern(let pattern): return try Self.regex(pattern, field: "target_modules").wholeMatches(moduleName)
    case .names(let names):
      if names.contains(moduleName) { return true }
      guard names.contains(where: { moduleName.hasSuffix("." + $0) }) else { return false }
      guard let layers = layersToTransform, !layers.isEmpty else { return true }
      guard let index = try layerIndex(of: moduleName) else { return false }
      return layers.contains(index)
    }
  }

  /// The rank, α and scale rule of the adapter on one module: ``rank`` and ``alpha`` unless a
  /// ``rankPattern`` or ``alphaPattern`` key matches the name, and ``useRSLoRA``.
  ///
  /// A key matches when the regular expression `(.*\.)?(key)$` matches the name from its start, as PEFT's
  /// `get_pattern_key` tests it; the first matching key wins. Keys are tried in sorted order: PEFT writes them
  /// sorted and tries them in the order it reads them, so this is its choice for any file it wrote.
  ///
  /// ```swift
  /// var configuration = PEFTAdapterConfiguration(rank: 8, alpha: 8, useRSLoRA: true)
  /// configuration.rankPattern = ["layers.1.q_proj": 4]
  /// try configuration.scaling(forModule: "model.layers.1.q_proj").scale   // 8/√4 = 4
  /// try configuration.scaling(forModule: "model.layers.11.q_proj").scale  // 8/√8: "layers.11" is another module
  /// ```
  /// - Parameter moduleName: The module's dotted name in the base model.
  /// - Throws: ``LoRAError/invalidField(file:field:reason:)`` for a key that is not a valid regular expression;
  ///   ``LoRAError/invalidRank(module:rank:maximum:)`` or ``LoRAError/invalidAlpha(module:alpha:)`` for a value
  ///   out of range.
  public func scaling(forModule moduleName: String) throws(LoRAError) -> LoRAScaling {
    let rankKey = try Self.firstPatternKey(Array(rankPattern.keys), matching: moduleName, field: "rank_pattern")
    let alphaKey = try Self.firstPatternKey(Array(alphaPattern.keys), matching: moduleName, field: "alpha_pattern")
    return try LoRAScaling(
      rank: rankKey.flatMap { rankPattern[$0] } ?? rank, alpha: alphaKey.flatMap { alphaPattern[$0] } ?? alpha,
      useRSLoRA: useRSLoRA, module: moduleName)
  }

  /// The first of `keys`, in sorted order, whose pattern matches the module name.
  private static func firstPatternKey(
    _ keys: [String], matching moduleName: String, field: String
  ) throws(LoRAError) -> String? {
    for key in keys.sorted(by: pythonOrder) {
      if try patternRegex(key, field: field).wholeMatches(moduleName) { return key }
    }
    return nil
  }

  /// Python's order of strings (by Unicode code point), the order of `json.dumps(..., sort_keys=True)`.
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
  private static func selects(_ selection: ModuleSelection, _ moduleName: String, field: String) throws(LoRAError) -> Bool {
    switch selection {
    case .pattern(let pattern): return try regex(pattern, field: field).wholeMatches(moduleName)
    case .names(let names): return names.contains { moduleName == $0 || moduleName.hasSuffix("." + $0) }
    }
  }

  /// The regular expression of a `rank_pattern` or `alpha_pattern` key, as a whole-name match.
  static func patternRegex(_ key: String, field: String, file: String = fileName) throws(LoRAError) -> PEFTPattern {
    try regex(#"(.*\.)?("# + key + ")", field: field, displayed: key, file: file)
  }

  /// The regular expression that finds the layer index after one `layers_pattern` entry.
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
