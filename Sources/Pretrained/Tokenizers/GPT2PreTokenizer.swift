/// GPT-2's pre-tokenization: splits text into the pieces byte-level BPE merges within, by the rules of the
/// pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, matched by hand.
///
/// At each position the first alternative that matches wins, as in the regular expression: an English
/// contraction suffix; a run of letters, of numbers, or of other non-space characters, each with at most
/// one leading space (U+0020); a run of whitespace that stops before the last space ahead of a non-space
/// character (that space then leads the next piece); or any other run of whitespace. Letters are the
/// Unicode general categories L*, numbers N*, whitespace the `White_Space` property.
public enum GPT2PreTokenizer {
  /// The pieces of `text`, as ranges of its Unicode scalars, in order and covering it.
  ///
  /// - Complexity: O(n) in the number of scalars.
  public static func pieces(of scalars: [Unicode.Scalar]) -> [Range<Int>] {
    var pieces: [Range<Int>] = []
    var start = 0
    while start < scalars.count {
      let end = pieceEnd(scalars, from: start)
      pieces.append(start..<end)
      start = end
    }
    return pieces
  }

  /// The pieces of `text` as strings.
  public static func split(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    return pieces(of: scalars).map { range in
      var view = String.UnicodeScalarView()
      view.append(contentsOf: scalars[range])
      return String(view)
    }
  }

  private enum Class { case letter, number, space, other }

  private static func characterClass(_ scalar: Unicode.Scalar) -> Class {
    if scalar.properties.isWhitespace { return .space }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
    case .decimalNumber, .letterNumber, .otherNumber: return .number
    default: return .other
    }
  }

  /// The end of the piece that starts at `start` (which is below `scalars.count`).
  private static func pieceEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
    let count = scalars.count
    if scalars[start] == "'", start + 1 < count {
      let next = scalars[start + 1]
      if ["s", "t", "m", "d"].contains(next) { return start + 2 }
      if start + 2 < count {
        let pair = (next, scalars[start + 2])
        if pair == ("r", "e") || pair == ("v", "e") || pair == ("l", "l") { return start + 3 }
      }
    }
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
    let body = scalars[start] == " " && start + 1 < count ? start + 1 : start
    let bodyClass = characterClass(scalars[body])
    if bodyClass != .space {
      var end = body + 1
      while end < count, characterClass(scalars[end]) == bodyClass { end += 1 }
      return end
    }
    // `\s+(?!\S)` then `\s+`: the whitespace run, less its last scalar when a non-space follows it.
    var end = start + 1
    while end < count, characterClass(scalars[end]) == .space { end += 1 }
    if end < count, end - start > 1 { return end - 1 }
    return end
  }
}
