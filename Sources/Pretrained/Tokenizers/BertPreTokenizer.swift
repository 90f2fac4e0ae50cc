/// BERT's pre-tokenizer (`BertPreTokenizer`): splits normalized text on whitespace and makes every
/// punctuation character a word of its own.
///
/// Punctuation is ASCII punctuation (33–47, 58–64, 91–96, 123–126) and the Unicode categories Pc, Pd, Ps, Pe,
/// Pi, Pf and Po.
public enum BertPreTokenizer {
  /// The words of `scalars`, each a run of scalars.
  ///
  /// - Complexity: O(number of scalars).
  public static func words(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
    var words: [ArraySlice<Unicode.Scalar>] = []
    var start = 0
    for (index, scalar) in scalars.enumerated() {
      let whitespace = scalar.properties.isWhitespace
      let punctuation = !whitespace && isPunctuation(scalar)
      guard whitespace || punctuation else { continue }
      if start < index { words.append(scalars[start..<index]) }
      if punctuation { words.append(scalars[index...index]) }
      start = index + 1
    }
    if start < scalars.count { words.append(scalars[start...]) }
    return words
  }

  /// Whether a scalar splits off as its own word.
  static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 33...47, 58...64, 91...96, 123...126: return true
    default: break
    }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
      .finalPunctuation, .otherPunctuation:
      return true
    default: return false
    }
  }
}
