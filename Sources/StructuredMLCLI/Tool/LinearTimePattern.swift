/// A regular expression that matches in time linear in the text: a Thompson NFA run as a Pike VM.
///
/// User patterns (`--include`) meet names from files anyone can write, so no pattern may take super-linear
/// time: backtracking engines need exponential time for `(a+)+$` against `aaaa…a!`. This matcher simulates
/// every NFA state at once, so a search costs O(text length × pattern size) whatever the pattern.
///
/// Supported: literal characters; `.` (any character but a line break); classes `[abc]`, `[a-z]`, `[^…]`;
/// the escapes `\d \D \w \W \s \S` and `\` before any punctuation; `\n \t \r`; anchors `^` and `$` (start and
/// end of the text); `*`, `+`, `?` and their lazy forms (`*?`: the same yes/no answer); bounded repetition
/// `{m}`, `{m,}`, `{m,n}` with `n ≤ 1000`; groups `(…)` and `(?:…)`; alternation `|`. Anything else
/// (back-references, look-around, flags, possessive quantifiers, `\b`, `\p{…}`) is refused with a
/// ``SyntaxError`` that says what and where. Matching works on Unicode scalars.
struct LinearTimePattern: Sendable {
  /// A pattern that this matcher does not accept.
  struct SyntaxError: Error, Equatable, CustomStringConvertible {
    /// What is wrong.
    let message: String
    /// The offset, in Unicode scalars, where the problem starts.
    let offset: Int

    var description: String { "\(message) at offset \(offset)" }
  }

  /// The largest bound of `{m,n}`.
  static let maximumRepetition = 1000
  /// The largest compiled program, in instructions (bounds memory and the per-character cost).
  static let maximumProgramSize = 20_000

  private let program: [Instruction]
  private let sets: [ScalarSet]

  /// Compiles `pattern`.
  ///
  /// - Throws: ``SyntaxError`` for malformed or unsupported syntax, or a pattern whose repetitions expand past
  ///   ``maximumProgramSize`` instructions.
  init(_ pattern: String) throws {
    var parser = Parser(scalars: Array(pattern.unicodeScalars))
    let tree = try parser.parseAlternation()
    if parser.position < parser.scalars.count {
      throw SyntaxError(message: "unbalanced ')'", offset: parser.position)
    }
    var compiler = Compiler()
    try compiler.emit(tree)
    compiler.program.append(.match)
    program = compiler.program
    sets = parser.sets
  }

  /// Whether the pattern matches somewhere in `text` (a search, as `String.contains(_:)` with a regex).
  ///
  /// - Complexity: O(n·m) for `n` scalars of text and `m` program instructions; O(m) memory.
  func matches(_ text: String) -> Bool {
    let scalars = Array(text.unicodeScalars)
    var current = ThreadList(capacity: program.count)
    var next = ThreadList(capacity: program.count)
    for position in 0...scalars.count {
      // Unanchored search: a new thread starts at every position.
      if add(0, at: position, count: scalars.count, to: &current) { return true }
      guard position < scalars.count else { break }
      let scalar = scalars[position]
      next.clear()
      for pc in current.members {
        guard case .consume(let set) = program[pc], sets[set].contains(scalar) else { continue }
        if add(pc + 1, at: position + 1, count: scalars.count, to: &next) { return true }
      }
      swap(&current, &next)
    }
    return false
  }

  /// Adds the thread at `pc` and every thread reachable without consuming input; `true` when one matches.
  private func add(_ pc: Int, at position: Int, count: Int, to list: inout ThreadList) -> Bool {
    var stack = [pc]
    while let pc = stack.popLast() {
      guard list.insert(pc) else { continue }
      switch program[pc] {
      case .match: return true
      case .consume: break
      case .jump(let target): stack.append(target)
      case .split(let first, let second): stack.append(contentsOf: [second, first])
      case .assertStart: if position == 0 { stack.append(pc + 1) }
      case .assertEnd: if position == count { stack.append(pc + 1) }
      }
    }
    return false
  }
}

// MARK: - Program

extension LinearTimePattern {
  fileprivate enum Instruction: Sendable {
    case consume(Int)
    case split(Int, Int)
    case jump(Int)
    case assertStart
    case assertEnd
    case match
  }

  /// A set of Unicode scalars: closed ranges, possibly complemented.
  fileprivate struct ScalarSet: Sendable {
    var ranges: [ClosedRange<UInt32>]
    var negated = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
      ranges.contains { $0.contains(scalar.value) } != negated
    }

    static let lineBreaks: [ClosedRange<UInt32>] = [0x0A...0x0A, 0x0D...0x0D, 0x85...0x85, 0x2028...0x2029]
    static let digits: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0D, 0x20...0x20]
  }

  /// The states of one step, each at most once, in insertion order.
  fileprivate struct ThreadList {
    private var present: [Bool]
    private(set) var members: [Int] = []

    init(capacity: Int) { present = [Bool](repeating: false, count: capacity) }

    mutating func insert(_ pc: Int) -> Bool {
      guard !present[pc] else { return false }
      present[pc] = true
      members.append(pc)
      return true
    }

    mutating func clear() {
      for pc in members { present[pc] = false }
      members.removeAll(keepingCapacity: true)
    }
  }

  fileprivate indirect enum Node {
    case set(Int)
    case start
    case end
    case sequence([Node])
    case alternation([Node])
    case repetition(Node, minimum: Int, maximum: Int?)
  }

  private struct Compiler {
    var program: [Instruction] = []

    mutating func append(_ instruction: Instruction) throws {
      guard program.count < LinearTimePattern.maximumProgramSize else {
        throw SyntaxError(
          message: "pattern expands to more than \(LinearTimePattern.maximumProgramSize) instructions", offset: 0)
      }
      program.append(instruction)
    }

    mutating func emit(_ node: Node) throws {
      switch node {
      case .set(let index): try append(.consume(index))
      case .start: try append(.assertStart)
      case .end: try append(.assertEnd)
      case .sequence(let nodes): for node in nodes { try emit(node) }
      case .alternation(let branches):
        var jumps: [Int] = []
        for (index, branch) in branches.enumerated() {
          if index < branches.count - 1 {
            let split = program.count
            try append(.split(split + 1, -1))
            try emit(branch)
            jumps.append(program.count)
            try append(.jump(-1))
            program[split] = .split(split + 1, program.count)
          } else {
            try emit(branch)
          }
        }
        for jump in jumps { program[jump] = .jump(program.count) }
      case .repetition(let body, let minimum, let maximum):
        for _ in 0..<minimum { try emit(body) }
        if let maximum {
          var splits: [Int] = []
          for _ in minimum..<maximum {
            splits.append(program.count)
            try append(.split(program.count + 1, -1))
            try emit(body)
          }
          for split in splits { program[split] = .split(split + 1, program.count) }
        } else {
          let loop = program.count
          try append(.split(loop + 1, -1))
          try emit(body)
          try append(.jump(loop))
          program[loop] = .split(loop + 1, program.count)
        }
      }
    }
  }

  // MARK: - Parser

  private struct Parser {
    let scalars: [Unicode.Scalar]
    var position = 0
    var sets: [ScalarSet] = []
    var depth = 0

    var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    func error(_ message: String, at offset: Int? = nil) -> SyntaxError {
      SyntaxError(message: message, offset: offset ?? position)
    }

    mutating func makeSet(_ set: ScalarSet) -> Node {
      sets.append(set)
      return .set(sets.count - 1)
    }

    mutating func parseAlternation() throws -> Node {
      var branches = [try parseSequence()]
      while peek == "|" {
        position += 1
        branches.append(try parseSequence())
      }
      return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func parseSequence() throws -> Node {
      var items: [Node] = []
      while let scalar = peek, scalar != "|", scalar != ")" {
        let atom = try parseAtom()
        items.append(try parseQuantifiers(atom))
      }
      return .sequence(items)
    }

    mutating func parseQuantifiers(_ atom: Node) throws -> Node {
      var node = atom
      while let scalar = peek {
        let start = position
        let bounds: (Int, Int?)
        switch scalar {
        case "*": bounds = (0, nil)
        case "+": bounds = (1, nil)
        case "?": bounds = (0, 1)
        case "{": bounds = try parseBraces()
        default: return node
        }
        if scalar != "{" { position += 1 }
        if case .start = atom { throw error("quantifier after an anchor", at: start) }
        if case .end = atom { throw error("quantifier after an anchor", at: start) }
        if peek == "?" {
          position += 1  // lazy: same yes/no answer
        } else if peek == "+" {
          throw error("possessive quantifiers are not supported")
        }
        node = .repetition(node, minimum: bounds.0, maximum: bounds.1)
      }
      return node
    }

    /// `{m}`, `{m,}` or `{m,n}` at the current position.
    mutating func parseBraces() throws -> (Int, Int?) {
      let start = position
      position += 1
      func number() -> Int? {
        var value: Int?
        while let scalar = peek, ("0"..."9").contains(scalar) {
          value = min((value ?? 0) * 10 + Int(scalar.value - 0x30), LinearTimePattern.maximumRepetition + 1)
          position += 1
        }
        return value
      }
      guard let minimum = number() else { throw error("'{' must start a repetition {m,n}", at: start) }
      var maximum: Int? = minimum
      if peek == "," {
        position += 1
        maximum = number()
      }
      guard peek == "}" else { throw error("unterminated repetition '{'", at: start) }
      position += 1
      let limit = LinearTimePattern.maximumRepetition
      guard minimum <= limit, (maximum ?? 0) <= limit else {
        throw error("repetition bounds above \(limit) are not supported", at: start)
      }
      if let maximum, maximum < minimum { throw error("repetition {\(minimum),\(maximum)} is empty", at: start) }
      return (minimum, maximum)
    }

    mutating func parseAtom() throws -> Node {
      let start = position
      let scalar = scalars[position]
      position += 1
      switch scalar {
      case "(":
        if peek == "?" {
          guard position + 1 < scalars.count, scalars[position + 1] == ":" else {
            throw error("group syntax '(?' other than '(?:' (look-around, flags, named groups) is not supported", at: start)
          }
          position += 2
        }
        depth += 1
        guard depth <= 200 else { throw error("groups nested deeper than 200", at: start) }
        let inner = try parseAlternation()
        guard peek == ")" else { throw error("unbalanced '('", at: start) }
        position += 1
        depth -= 1
        return inner
      case "[": return try parseClass(start: start)
      case ".": return makeSet(ScalarSet(ranges: ScalarSet.lineBreaks, negated: true))
      case "^": return .start
      case "$": return .end
      case "\\": return makeSet(try parseEscape(inClass: false))
      case "*", "+", "?", "{": throw error("quantifier '\(scalar)' has nothing to repeat", at: start)
      case "]", "}": throw error("unescaped '\(scalar)'", at: start)
      default: return makeSet(ScalarSet(ranges: [scalar.value...scalar.value]))
      }
    }

    /// The set that the escape after a backslash stands for.
    mutating func parseEscape(inClass: Bool) throws -> ScalarSet {
      guard let scalar = peek else { throw error("pattern ends with '\\'", at: position - 1) }
      position += 1
      switch scalar {
      case "d": return ScalarSet(ranges: ScalarSet.digits)
      case "D": return ScalarSet(ranges: ScalarSet.digits, negated: true)
      case "w": return ScalarSet(ranges: ScalarSet.word)
      case "W": return ScalarSet(ranges: ScalarSet.word, negated: true)
      case "s": return ScalarSet(ranges: ScalarSet.space)
      case "S": return ScalarSet(ranges: ScalarSet.space, negated: true)
      case "n": return ScalarSet(ranges: [0x0A...0x0A])
      case "t": return ScalarSet(ranges: [0x09...0x09])
      case "r": return ScalarSet(ranges: [0x0D...0x0D])
      default:
        guard scalar.isASCII, !scalar.properties.isAlphabetic, !("0"..."9").contains(scalar) else {
          throw error("escape '\\\(scalar)' is not supported", at: position - 2)
        }
        return ScalarSet(ranges: [scalar.value...scalar.value])
      }
    }

    /// A bracketed class after its `[`.
    mutating func parseClass(start: Int) throws -> Node {
      var set = ScalarSet(ranges: [])
      if peek == "^" {
        set.negated = true
        position += 1
      }
      var first = true
      while true {
        guard let scalar = peek else { throw error("unterminated class '['", at: start) }
        if scalar == "]" && !first { break }
        first = false
        position += 1
        let low: UInt32
        if scalar == "\\" {
          let escaped = try parseEscape(inClass: true)
          guard !escaped.negated, escaped.ranges.count == 1, escaped.ranges[0].count == 1 else {
            guard !escaped.negated else { throw error("negated escapes inside a class are not supported") }
            set.ranges += escaped.ranges
            continue
          }
          low = escaped.ranges[0].lowerBound
        } else if scalar == "[" {
          throw error("nested classes and POSIX classes are not supported", at: position - 1)
        } else {
          low = scalar.value
        }
        if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
          position += 1
          var high = scalars[position].value
          position += 1
          if high == 0x5C {  // backslash
            let escaped = try parseEscape(inClass: true)
            guard escaped.ranges.count == 1, escaped.ranges[0].count == 1, !escaped.negated else {
              throw error("a class range must end in a single character")
            }
            high = escaped.ranges[0].lowerBound
          }
          guard low <= high else { throw error("class range out of order", at: position - 1) }
          set.ranges.append(low...high)
        } else {
          set.ranges.append(low...low)
        }
      }
      position += 1
      return makeSet(set)
    }
  }
}
