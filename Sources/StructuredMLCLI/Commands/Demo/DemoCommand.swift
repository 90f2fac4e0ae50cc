import Foundation

/// `structml demo`: the main job. Runs every capability on built-in, seeded data and writes a Markdown
/// report with SVG charts to a folder it names at the end.
enum DemoCommand {
  static let command = Command(
    path: ["demo"],
    summary: "run every capability on built-in data and write a Markdown + SVG report",
    options: [
      .outputFolder(
        "output-dir", "DIR", "folder for the report, created if missing (default: structml-demo)",
        default: "structml-demo", files: reportFiles)
    ]
  ) { arguments, console in
    var report = DemoReport()
    for section in sections {
      console.printError("demo: \(section.title)…")
      let start = DispatchTime.now().uptimeNanoseconds
      let result = try section.build()
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      report.sections.append(result)
      console.printError("demo: \(section.title) done in \(formatted(seconds)) s")
    }
    // The files were checked before the demo started; a chart under another name would have escaped that check.
    let charts = report.sections.flatMap { $0.charts.map(\.fileName) }
    precondition(charts.allSatisfy(reportFiles.contains), "a demo chart is missing from DemoCommand.reportFiles")
    let folder = try OutputPaths.createFolder("output-dir", of: arguments)
    do {
      try report.write(to: folder)
    } catch {
      throw CommandError.failure("option '--output-dir': cannot write the report: \(error)")
    }
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("report", .string(folder.appendingPathComponent("README.md").path)),
          ("sections", .array(report.sections.map { .string($0.title) })),
        ]).serialized())
    } else {
      console.print(report.markdown())
      console.print("Report written to \(folder.appendingPathComponent("README.md").path)")
    }
  }

  /// Every file the report holds, checked before the demo starts.
  static let reportFiles = [
    "README.md", FoundationDemo.chartFile, MonarchDemo.chartFile, StateSpacesDemo.chartFiles.reconstruction,
    StateSpacesDemo.chartFiles.time, ProbabilityMapsDemo.chartFiles.support,
    ProbabilityMapsDemo.chartFiles.distributions, TrainingDemo.chartFiles.classifierSteps,
    TrainingDemo.chartFiles.classifierSeconds, TrainingDemo.chartFiles.languageSteps,
    TrainingDemo.chartFiles.languageSeconds, FineTuningDemo.chartFile,
  ]

  /// The report's sections in order; each capability contributes one.
  static let sections: [(title: String, build: @Sendable () throws -> DemoReport.Section)] = [
    ("Numeric core", FoundationDemo.section),
    ("Monarch", MonarchDemo.section),
    ("State spaces", StateSpacesDemo.section),
    ("Probability maps", ProbabilityMapsDemo.section),
    ("Training", TrainingDemo.section),
    ("Fine-tuning", FineTuningDemo.section),
  ]
}
