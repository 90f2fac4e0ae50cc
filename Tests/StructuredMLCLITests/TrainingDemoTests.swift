import Foundation
import NN
import Testing

@testable import StructuredMLCLI

@Suite("The demo's training section")
struct TrainingDemoTests {
  /// The demo's experiments at sizes a debug build runs in about a second.
  static let small = TrainingDemo.Settings(
    teacher: TeacherClassificationTask(examples: 640, features: 8, classes: 4, teacherHidden: 8, scale: 4, seed: 3),
    hidden: [16], monarchBlocks: [2], classifierBatch: 32, classifierSteps: 60, symbols: 4, order: 2,
    trainingTokens: 4_000, heldOutTokens: 513, context: 8, width: 8, layers: 1, heads: 2, stateSize: 4, sequences: 8,
    languageSteps: 40, evaluations: 4, maximumStepFactor: 2)

  @Test func everyRunLearnsAndTheReportHoldsItsChartsAndNumbers() throws {
    let settings = Self.small
    let (classifier, language) = try TrainingDemo.measure(settings)
    #expect(classifier.curves.map(\.name) == ["dense", "Monarch (2 blocks)"])
    #expect(language.curves.map(\.name) == ["Transformer, softmax", "Transformer, 1.5-entmax", "Transformer, Monarch MLP (4 blocks)", "state space, S4D"])
    #expect(abs(classifier.uniformLoss - log(4)) < 1e-12 && abs(language.uniformLoss - log(4)) < 1e-12)
    for experiment in [classifier, language] {
      #expect(experiment.bestPossibleLoss > 0 && experiment.bestPossibleLoss < experiment.uniformLoss)
      for curve in experiment.curves {
        let points = curve.points
        #expect(points.first?.step == 0 && points.first?.seconds == 0, "\(curve.name)")
        #expect(points.allSatisfy { $0.loss.isFinite && $0.seconds.isFinite }, "\(curve.name): \(points)")
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.step < $1.step && $0.seconds <= $1.seconds }, "\(curve.name)")
        // Trained, each model predicts the held-out data better than the uniform distribution does.
        let final = try #require(points.last).loss
        #expect(final < experiment.uniformLoss - 0.05, "\(curve.name): final \(final), uniform \(experiment.uniformLoss)")
        #expect(curve.parameters > 0 && curve.secondsPerStep > 0)
      }
    }
    // Equal steps: every classifier was evaluated at the common step count. Equal time: each then trained
    // until its steps took as long as the slowest one's, or up to the cap.
    let slowest = classifier.curves.map { $0.point(atStep: settings.classifierSteps).seconds }.max()!
    for curve in classifier.curves {
      #expect(curve.points.contains { $0.step == settings.classifierSteps }, "\(curve.name)")
      let last = curve.points.last!
      #expect(last.seconds >= slowest || last.step == settings.classifierSteps * settings.maximumStepFactor, "\(curve.name)")
      #expect(last.step <= settings.classifierSteps * settings.maximumStepFactor)
    }
    for curve in language.curves { #expect(curve.points.last?.step == settings.languageSteps, "\(curve.name)") }

    let section = TrainingDemo.report(classifier: classifier, language: language, settings: settings)
    let files = TrainingDemo.chartFiles
    let names = [files.classifierSteps, files.classifierSeconds, files.languageSteps, files.languageSeconds]
    #expect(section.charts.map(\.fileName) == names)
    #expect(names.allSatisfy(DemoCommand.reportFiles.contains))
    for (name, chart) in section.charts {
      let svg = chart.render()
      // One line per run and one for the best possible loss.
      let runs = name.contains("mlp") ? classifier.curves.count : language.curves.count
      #expect(svg.components(separatedBy: "<polyline").count - 1 == runs + 1, "\(name)")
      #expect(!svg.contains("nan"), "\(name)")
    }
    let markdown = section.markdown
    for experiment in [classifier, language] {
      #expect(markdown.contains(formatted(experiment.bestPossibleLoss, digits: 4)))
      for curve in experiment.curves {
        #expect(markdown.contains("| \(curve.name) | \(curve.parameters) |"), "\(curve.name)")
        #expect(markdown.contains(formatted(curve.points.last!.loss, digits: 4)), "\(curve.name)")
      }
    }
    #expect(!markdown.contains("nan"))
  }
}
