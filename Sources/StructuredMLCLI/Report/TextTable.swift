/// A plain-text table with aligned columns, for human-readable command output.
///
/// Columns from `firstNumericColumn` on are right-aligned (numbers), the others left-aligned; trailing spaces
/// are trimmed. Every cell is printed through ``TerminalText/escaped(_:)``, so a name from a file cannot send
/// escape sequences to the terminal or forge rows.
public struct TextTable {
  public var header: [String]
  public var rows: [[String]]
  public var firstNumericColumn: Int

  public init(header: [String], rows: [[String]], firstNumericColumn: Int) {
    precondition(rows.allSatisfy { $0.count == header.count }, "TextTable: every row needs \(header.count) cells")
    self.header = header
    self.rows = rows
    self.firstNumericColumn = firstNumericColumn
  }

  /// The table as lines of text, header first.
  public var lines: [String] {
    let all = ([header] + rows).map { $0.map(TerminalText.escaped) }
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { line in
      line.indices.map { column in
        let cell = line[column]
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return column >= firstNumericColumn ? padding + cell : cell + padding
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
  }
}
