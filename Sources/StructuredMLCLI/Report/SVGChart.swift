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
    let xTicks = SVGChart.ticks(from: x0, to: x1, log: logX)
    let yTicks = SVGChart.ticks(from: y0, to: y1, log: logY)
    (x0, x1) = (min(x0, xTicks.first ?? x0), max(x1, xTicks.last ?? x1))
    (y0, y1) = (min(y0, yTicks.first ?? y0), max(y1, yTicks.last ?? y1))
    func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
    func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotHeight }
    func label(_ v: Double, log: Bool) -> String {
      let value = log ? pow(10, v) : v
      if abs(value) < 1e-12 { return "0" }
      let magnitude = abs(value)
      if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.0e", value) }
      return String(format: "%g", (value * 1e6).rounded() / 1e6)
    }
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
      viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left + plotWidth / 2)" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>
      <rect x="\(left)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)" fill="none" stroke="#444"/>

      """
    for fx in xTicks {
      svg += "<line x1=\"\(px(fx))\" y1=\"\(top)\" x2=\"\(px(fx))\" y2=\"\(top + plotHeight)\" stroke=\"#eee\"/>\n"
      svg += "<text x=\"\(px(fx))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(label(fx, log: logX))</text>\n"
    }
    for fy in yTicks {
      svg += "<line x1=\"\(left)\" y1=\"\(py(fy))\" x2=\"\(left + plotWidth)\" y2=\"\(py(fy))\" stroke=\"#eee\"/>\n"
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
      if line.markers {
        svg += "<circle cx=\"\(left + plotWidth + 22)\" cy=\"\(legendY - 4)\" r=\"3\" fill=\"\(color)\"/>\n"
      } else {
        svg += "<line x1=\"\(left + plotWidth + 12)\" y1=\"\(legendY - 4)\" x2=\"\(left + plotWidth + 32)\" y2=\"\(legendY - 4)\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
      }
      svg += "<text x=\"\(left + plotWidth + 38)\" y=\"\(legendY)\">\(escape(line.name))</text>\n"
    }
    svg += "</svg>\n"
    return svg
  }

  /// Tick positions (in axis units, log10 units on a log axis) at round numbers covering `[lower, upper]`:
  /// steps of 1, 2 or 5 times a power of ten; on a log axis, whole decades when it spans two or more,
  /// else 1, 2 and 5 times each power of ten in range.
  public static func ticks(from lower: Double, to upper: Double, log: Bool) -> [Double] {
    let span = upper - lower
    if log && span >= 2 {
      let stride = Swift.max(1, (span / 6).rounded(.up))
      let first = (lower / stride).rounded(.down) * stride
      return Array(Swift.stride(from: first, through: upper + stride * 0.999, by: stride))
    }
    if log {
      let decades = Int(lower.rounded(.down))...Int(upper.rounded(.up))
      let candidates = decades.flatMap { decade in [1.0, 2, 5].map { log10($0) + Double(decade) } }
      let inside = candidates.filter { $0 >= lower - 1e-9 && $0 <= upper + 1e-9 }
      let coversLower = inside.first.map { $0 <= lower + 1e-9 } ?? false
      let coversUpper = inside.last.map { $0 >= upper - 1e-9 } ?? false
      let below = coversLower ? nil : candidates.last { $0 < lower - 1e-9 }
      let above = coversUpper ? nil : candidates.first { $0 > upper + 1e-9 }
      return (below.map { [$0] } ?? []) + inside + (above.map { [$0] } ?? [])
    }
    let rough = span / 5
    let power = pow(10, (log10(rough)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough * 0.999 } ?? 10 * power
    let first = (lower / step).rounded(.down) * step
    let last = (upper / step).rounded(.up) * step
    return Array(Swift.stride(from: first, through: last + step * 0.001, by: step))
  }

  private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
