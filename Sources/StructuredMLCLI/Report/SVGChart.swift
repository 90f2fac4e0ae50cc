import Foundation

/// A line chart drawn as a standalone SVG document, with axes, ticks, a legend and optional log scales.
///
/// The demo report and `structml ssm approximate --svg` draw with it; no outside plotting tool is needed.
public struct SVGChart {
  /// One named line of `(x, y)` points.
  public struct Series {
    public let name: String
    public let points: [(x: Double, y: Double)]
    /// Draw markers at the points instead of a line.
    public let markers: Bool

    public init(name: String, points: [(x: Double, y: Double)], markers: Bool = false) {
      self.name = name
      self.points = points
      self.markers = markers
    }
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [Series]
  public var logX = false
  public var logY = false
  public var width = 720.0
  public var height = 420.0

  public init(title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool = false, logY: Bool = false) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.logX = logX
    self.logY = logY
  }

  private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]

  /// The SVG text.
  public func render() -> String {
    let left = 70.0, right = 170.0, top = 40.0, bottom = 55.0
    let plotWidth = width - left - right, plotHeight = height - top - bottom
    func transform(_ v: Double, log: Bool) -> Double? {
      guard v.isFinite else { return nil }
      if log { return v > 0 ? log10(v) : nil }
      return v
    }
    let xs = series.flatMap { $0.points.compactMap { transform($0.x, log: logX) } }
    let ys = series.flatMap { $0.points.compactMap { transform($0.y, log: logY) } }
    var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
    var (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
    if x1 - x0 < 1e-12 { (x0, x1) = (x0 - 0.5, x1 + 0.5) }
    if y1 - y0 < 1e-12 { (y0, y1) = (y0 - 0.5, y1 + 0.5) }
    let yPad = (y1 - y0) * 0.05
    (y0, y1) = (y0 - yPad, y1 + yPad)
    func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
    func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotHeight }
    func label(_ v: Double, log: Bool) -> String {
      let value = log ? pow(10, v) : v
      if value == 0 { return "0" }
      let magnitude = abs(value)
      if magnitude >= 1e4 || magnitude < 1e-2 { return String(format: "%.0e", value) }
      return String(format: magnitude >= 100 ? "%.0f" : "%.3g", value)
    }
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
      viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left + plotWidth / 2)" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>
      <rect x="\(left)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)" fill="none" stroke="#444"/>

      """
    for i in 0...5 {
      let fx = x0 + (x1 - x0) * Double(i) / 5, fy = y0 + (y1 - y0) * Double(i) / 5
      svg += "<line x1=\"\(px(fx))\" y1=\"\(top)\" x2=\"\(px(fx))\" y2=\"\(top + plotHeight)\" stroke=\"#eee\"/>\n"
      svg += "<line x1=\"\(left)\" y1=\"\(py(fy))\" x2=\"\(left + plotWidth)\" y2=\"\(py(fy))\" stroke=\"#eee\"/>\n"
      svg += "<text x=\"\(px(fx))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(label(fx, log: logX))</text>\n"
      svg += "<text x=\"\(left - 6)\" y=\"\(py(fy) + 4)\" text-anchor=\"end\">\(label(fy, log: logY))</text>\n"
    }
    svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
    svg += "<text transform=\"translate(16 \(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
    for (index, line) in series.enumerated() {
      let color = SVGChart.palette[index % SVGChart.palette.count]
      let points = line.points.compactMap { p -> (Double, Double)? in
        guard let x = transform(p.x, log: logX), let y = transform(p.y, log: logY) else { return nil }
        return (px(x), py(y))
      }
      if line.markers {
        for (x, y) in points { svg += "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"3\" fill=\"\(color)\"/>\n" }
      } else if !points.isEmpty {
        let path = points.map { String(format: "%.2f,%.2f", $0.0, $0.1) }.joined(separator: " ")
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"/>\n"
      }
      let legendY = top + 16 + Double(index) * 18
      svg += "<line x1=\"\(left + plotWidth + 12)\" y1=\"\(legendY - 4)\" x2=\"\(left + plotWidth + 32)\" y2=\"\(legendY - 4)\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
      svg += "<text x=\"\(left + plotWidth + 38)\" y=\"\(legendY)\">\(escape(line.name))</text>\n"
    }
    svg += "</svg>\n"
    return svg
  }

  private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
