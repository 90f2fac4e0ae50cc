/// GPT-2's reversible map between bytes and printable Unicode characters (`bytes_to_unicode` in OpenAI's
/// `encoder.py`), through which byte-level BPE vocabularies spell every byte of UTF-8 text.
///
/// The 188 printable bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to the scalar of the same value; the other 68 map
/// to U+0100 upward in byte order (space, 0x20, becomes `Ġ`, U+0120).
public enum ByteToUnicode {
  /// The scalar that stands for each byte, indexed by the byte.
  public static let scalars: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: "\0", count: 256)
    var next: UInt32 = 256
    for byte in 0..<256 {
      if isPrintable(byte) {
        table[byte] = Unicode.Scalar(UInt32(byte))!
      } else {
        table[byte] = Unicode.Scalar(next)!
        next += 1
      }
    }
    return table
  }()

  /// The byte each of ``scalars`` stands for.
  public static let bytes: [Unicode.Scalar: UInt8] = Dictionary(
    uniqueKeysWithValues: scalars.enumerated().map { ($1, UInt8($0)) })

  /// `bytes` spelled in the map's characters.
  public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    var text = String.UnicodeScalarView()
    for byte in bytes { text.append(scalars[Int(byte)]) }
    return String(text)
  }

  /// The bytes a string of the map's characters spells, or `nil` when it holds another character.
  public static func decode(_ text: String) -> [UInt8]? {
    var result: [UInt8] = []
    result.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      guard let byte = bytes[scalar] else { return nil }
      result.append(byte)
    }
    return result
  }

  private static func isPrintable(_ byte: Int) -> Bool {
    (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
  }
}
