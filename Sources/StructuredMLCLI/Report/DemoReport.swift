import Foundation
import TensorFiles

/// The report `structml demo` writes: one Markdown page with sections, and SVG charts beside it.
public struct DemoReport {
  /// One section of the report, produced by one capability.
  public struct Section {
    public var title: String
    /// Markdown body; refer to charts by their file names.
    public var markdown: String
    /// Chart file names (ending in `.svg`) and their drawings.
    public var charts: [(fileName: String, chart: SVGChart)]

    public init(title: String, markdown: String, charts: [(fileName: String, chart: SVGChart)] = []) {
      self.title = title
      self.markdown = markdown
      self.charts = charts
    }
  }

  public var sections: [Section] = []

  public init() {}

  /// The Markdown text of the whole report.
  public func markdown() -> String {
    var text = "# StructuredML demo report\n\nStructuredML \(StructuredMLTool.version). "
    text += "Every figure below was computed in this run on built-in, seeded data.\n"
    for section in sections {
      text += "\n## \(section.title)\n\n\(section.markdown)\n"
      for chart in section.charts { text += "\n![\(chart.chart.title)](\(chart.fileName))\n" }
    }
    return text
  }

  /// Writes `README.md` and the charts into `folder`, which must exist, each file atomically.
  ///
  /// - Throws: What `AtomicFile.write(_:to:protectedInputs:)` throws.
  public func write(to folder: URL) throws {
    for section in sections {
      for chart in section.charts {
        try AtomicFile.write(Data(chart.chart.render().utf8), to: folder.appendingPathComponent(chart.fileName))
      }
    }
    try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("README.md"))
  }
}

/// Formats a number for tables with a fixed number of significant digits.
func formatted(_ value: Double, digits: Int = 3) -> String {
  guard value.isFinite else { return "\(value)" }
  return String(format: "%.\(digits)g", value)
}
