import Foundation

/// BERT's text normalizer (Hugging Face `tokenizers`' `BertNormalizer`): cleanup, spacing around CJK
/// ideographs, accent stripping and lower-casing, in that order.
///
/// Each step works on Unicode scalars, as the reference does on Rust `char`s: cleanup drops NUL, U+FFFD and
/// control characters (categories Cc, Cf, Cn, Co except tab, newline and carriage return) and turns White_Space
/// characters into spaces; accent stripping decomposes (NFD) and drops nonspacing marks (Mn); lower-casing maps
/// each scalar by its full lowercase mapping (no context, so a final sigma stays `σ`).
public struct BertNormalizer: Sendable, Equatable {
  /// Whether control characters are dropped and whitespace becomes spaces.
  public var cleanText: Bool
  /// Whether CJK ideographs get a space on each side (so each becomes its own word).
  public var handleChineseCharacters: Bool
  /// Whether accents are stripped; `nil` follows ``lowercase``.
  public var stripAccents: Bool?
  /// Whether text is lower-cased.
  public var lowercase: Bool

  /// Creates a normalizer; the defaults are those of `bert-base-uncased` and all-MiniLM-L6-v2.
  public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
    self.cleanText = cleanText
    self.handleChineseCharacters = handleChineseCharacters
    self.stripAccents = stripAccents
    self.lowercase = lowercase
  }

  /// Whether accents are stripped once ``stripAccents`` has followed ``lowercase``.
  public var stripsAccents: Bool { stripAccents ?? lowercase }

  /// The normalized scalars of `text`.
  ///
  /// - Complexity: O(length of the text).
  public func normalize(_ text: String) -> [Unicode.Scalar] {
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      if cleanText {
        if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
        if Self.isWhitespace(scalar) {
          scalars.append(" ")
          continue
        }
      }
      if handleChineseCharacters && Self.isChineseCharacter(scalar) {
        scalars.append(contentsOf: [" ", scalar, " "])
      } else {
        scalars.append(scalar)
      }
    }
    if stripsAccents {
      let decomposed = String(String.UnicodeScalarView(scalars)).decomposedStringWithCanonicalMapping
      scalars = decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
    }
    if lowercase {
      scalars = scalars.flatMap { $0.properties.lowercaseMapping.unicodeScalars }
    }
    return scalars
  }

  /// Tab, newline, carriage return and the White_Space characters.
  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }

  /// Categories Cc, Cf, Cn, Co and Cs, except tab, newline and carriage return.
  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
    switch scalar.properties.generalCategory {
    case .control, .format, .unassigned, .privateUse, .surrogate: return true
    default: return false
    }
  }

  /// The CJK Unified Ideographs blocks, their extensions A–E and the compatibility ideographs, with the ranges
  /// of the reference implementation.
  static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
      0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      return true
    default: return false
    }
  }
}
