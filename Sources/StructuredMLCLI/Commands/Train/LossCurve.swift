import Foundation
import NN
import TensorFiles

/// The loss curve of a run as `loss.json` and `loss.svg` in its folder.
enum LossCurve {
  /// The curve as JSON: training loss per step, every evaluation, and the best possible loss when known.
  static func json(_ state: TrainingState, bestPossibleLoss: Double?) -> JSONValue {
    .object([
      ("steps", .array(state.trainingLosses.indices.map { .int($0 + 1) })),
      ("train_loss", .numbers(state.trainingLosses)),
      (
        "evaluations",
        .array(
          state.evaluations.map {
            .object([("step", .int($0.step)), ("loss", .number($0.loss)), ("accuracy", .number($0.accuracy))])
          })
      ),
      ("best_possible_loss", bestPossibleLoss.map { .number($0) } ?? .null),
    ])
  }

  /// The curve as an SVG chart: training and held-out loss against steps, with the best possible loss.
  static func chart(_ state: TrainingState, bestPossibleLoss: Double?) -> SVGChart {
    var series = [
      SVGChart.Series(name: "train", points: state.trainingLosses.enumerated().map { (Double($0.offset + 1), $0.element) }),
      SVGChart.Series(name: "held-out", points: state.evaluations.map { (Double($0.step), $0.loss) }, markers: true),
    ]
    if let best = bestPossibleLoss, !state.trainingLosses.isEmpty {
      series.append(SVGChart.Series(name: "best possible", points: [(1, best), (Double(state.trainingLosses.count), best)]))
    }
    return SVGChart(title: "Training loss", xLabel: "step", yLabel: "cross-entropy (nats)", series: series)
  }

  /// The names of the curve's files in a run folder.
  static let jsonFile = "loss.json", chartFile = "loss.svg"
  /// The files ``write(_:bestPossibleLoss:to:)`` writes into a run folder.
  static let files = [jsonFile, chartFile]

  /// Writes `loss.json` and `loss.svg` into `folder`, each atomically.
  static func write(_ state: TrainingState, bestPossibleLoss: Double?, to folder: URL) throws {
    try AtomicFile.write(
      Data((json(state, bestPossibleLoss: bestPossibleLoss).serialized() + "\n").utf8),
      to: folder.appendingPathComponent(jsonFile))
    try AtomicFile.write(
      Data(chart(state, bestPossibleLoss: bestPossibleLoss).render().utf8), to: folder.appendingPathComponent(chartFile))
  }
}
