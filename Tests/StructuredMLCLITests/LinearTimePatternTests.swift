import Foundation
import Testing

@testable import StructuredMLCLI

@Suite("LinearTimePattern: a linear-time regex subset agreeing with NSRegularExpression")
struct LinearTimePatternTests {
  /// Whether NSRegularExpression (ICU, an independent backtracking engine) finds `pattern` in `text`.
  func reference(_ pattern: String, _ text: String) throws -> Bool {
    let regex = try NSRegularExpression(pattern: pattern)
    return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
  }

  static let patterns = [
    "fc1", "mlp\\.fc[12]\\.weight$", "^layers\\.\\d+\\.attn", "^(a|b)+$", "a.c", "a*b", "(ab)*c", "x?y",
    "[^a-c]z", "[a-cx-z]+$", "^\\w+\\.\\W", "\\s", "\\S\\d{2,3}$", "(?:ab|cd){2}", "a{0,2}b", "a{3,}",
    "^$", "^", "$", "(a|)+b", "((a*)*)*c", "[.]", "[\\]]", "[a-]", "a|b|c", "weight|bias", "^(?:x|y|z)*$",
    "a+?b", "q{2}", "(a+)+$", "[\\d_]+", "é", "\\.", "\\-", "[\\w.]+", "^layers\\.(0|1)\\.",
  ]
  static let texts = [
    "", "fc1", "layers.0.mlp.fc1.weight", "layers.12.attn.q.weight", "mlp.fc2.weight", "abab", "ababc", "ac",
    "abc", "aXc", "aaab", "b", "y", "xy", "dz", "az", "xyz", "xyzw", "name.!", "a b", "x123", "x12",
    "abcdab", "abcd", "aab", "aaaa", "c", ".", "]", "-", "a", "weight", "bias", "xxyz", "qq", "a!", "1_2",
    "café", "a\nb", "a\u{1}b", "layers.1.x",
  ]

  @Test func agreesWithNSRegularExpressionOnEveryPair() throws {
    var compared = 0
    for pattern in Self.patterns {
      let compiled = try LinearTimePattern(pattern)
      for text in Self.texts {
        #expect(compiled.matches(text) == (try reference(pattern, text)), "\(pattern) on \(text.debugDescription)")
        compared += 1
      }
    }
    #expect(compared == Self.patterns.count * Self.texts.count)
  }

  @Test func catastrophicBacktrackingPatternsRunInLinearTime() throws {
    let hostile = String(repeating: "a", count: 10_000) + "!"
    let start = DispatchTime.now().uptimeNanoseconds
    for pattern in ["(a+)+$", "^(a|a)*$", "(a*)*b", "^(a|aa)+$", "(x+x+)+y"] {
      #expect(try LinearTimePattern(pattern).matches(hostile) == false, "\(pattern)")
    }
    #expect(try LinearTimePattern("(a+)+!$").matches(hostile))
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    // A backtracking engine needs 2^10000 steps for the first pattern; this one a few milliseconds each.
    #expect(seconds < 30, "took \(seconds) s")
  }

  @Test func unsupportedSyntaxIsRefusedWithItsOffset() {
    let cases: [(String, Int)] = [
      ("(a)\\1", 3), ("a(?=b)", 1), ("(?i)a", 0), ("a++", 2), ("\\bword", 0), ("\\p{L}", 0), ("(ab", 0),
      ("ab)", 2), ("*a", 0), ("a{2000}", 1), ("a{3,2}", 1), ("[abc", 0), ("[[:alpha:]]", 1), ("a\\", 1),
      ("^*", 1),
    ]
    for (pattern, offset) in cases {
      #expect(throws: LinearTimePattern.SyntaxError.self, "\(pattern)") { try LinearTimePattern(pattern) }
      do {
        _ = try LinearTimePattern(pattern)
      } catch let error as LinearTimePattern.SyntaxError {
        #expect(error.offset == offset, "\(pattern): \(error)")
      } catch {
        Issue.record("\(pattern): unexpected \(error)")
      }
    }
  }

  @Test func repetitionThatWouldExpandTooFarIsRefused() {
    #expect(throws: LinearTimePattern.SyntaxError.self) { try LinearTimePattern("((a{1000}){1000}){1000}") }
  }

  @Test func longAndOddNamesAreMatchedAsText() throws {
    let long = String(repeating: "layer.", count: 5_000) + "fc1\u{0}\u{1B}[2J\n.weight"
    #expect(try LinearTimePattern("fc1\u{0}").matches(long))
    #expect(try LinearTimePattern("fc1.\\.weight$").matches(long) == false)  // '.' does not match '\n'
    #expect(try LinearTimePattern("\\n\\.weight$").matches(long))
  }
}
