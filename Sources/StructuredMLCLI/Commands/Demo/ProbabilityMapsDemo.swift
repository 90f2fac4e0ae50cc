import ProbabilityMaps
import TensorCore

/// The demo section of the probability maps: entmax support size against α, and the distributions of
/// softmax, 1.5-entmax and sparsemax on one built-in score vector.
enum ProbabilityMapsDemo {
  /// Twelve scores with a clear winner, a cluster of contenders and a tail.
  static let scores: [Double] = [3.1, 2.6, 2.4, 2.2, 1.5, 1.1, 0.6, 0.2, -0.4, -1.0, -1.8, -2.5]

  /// The file names of the section's charts.
  static let chartFiles = (support: "entmax-support.svg", distributions: "probability-maps.svg")

  static func section() throws -> DemoReport.Section {
    let x = Tensor<Double>(shape: [1, scores.count], scalars: scores)
    let alphas = stride(from: 1.0, through: 4.0, by: 0.125).map { $0 }
    var supportPoints: [(x: Double, y: Double)] = []
    for alpha in alphas {
      let p = try Entmax(alpha: alpha).forward(x)
      supportPoints.append((alpha, Double(p.scalars.filter { $0 > 0 }.count)))
    }
    let maps: [(String, any ProbabilityMap)] = [
      ("softmax", Softmax.standard), ("1.5-entmax", Entmax15()), ("sparsemax", Sparsemax()),
    ]
    var rows = ["| score | " + maps.map(\.0).joined(separator: " | ") + " |", "|---|---|---|---|"]
    var distributions: [[Double]] = []
    for (_, map) in maps { distributions.append(try map.forward(x).scalars) }
    for (i, score) in scores.enumerated() {
      rows.append("| \(formatted(score)) | " + distributions.map { formatted($0[i], digits: 4) }.joined(separator: " | ") + " |")
    }
    let supportChart = SVGChart(
      title: "entmax support size against alpha", xLabel: "alpha", yLabel: "entries with p > 0",
      series: [.init(name: "support", points: supportPoints, markers: true)])
    let distributionChart = SVGChart(
      title: "softmax, 1.5-entmax and sparsemax of the same scores", xLabel: "score index", yLabel: "probability",
      series: zip(maps, distributions).map { entry in
        .init(name: entry.0.0, points: entry.1.enumerated().map { (Double($0.offset), $0.element) }, markers: true)
      })
    let markdown =
      "Scores: \(scores.map { formatted($0) }.joined(separator: ", ")). Support of α-entmax from α = 1 (softmax, "
      + "all \(scores.count)) to α = 4: \(supportPoints.map { Int($0.y) }.map(String.init).joined(separator: ", ")).\n\n"
      + rows.joined(separator: "\n")
    return DemoReport.Section(
      title: "Probability maps", markdown: markdown,
      charts: [(chartFiles.support, supportChart), (chartFiles.distributions, distributionChart)])
  }
}
