import Foundation
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

@Suite struct StateSpacesCommandTests {
  func run(_ arguments: [String]) -> (code: Int32, stdout: String, stderr: String, json: [String: Any]?) {
    let console = Console.capturing()
    let code = StructuredMLTool.run(arguments, console: console)
    let out = console.standardOutput
    let json = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
    return (code, out, console.standardError, json)
  }

  @Test func hippoPrintsTheLegSMatrices() throws {
    let result = run(["ssm", "hippo", "--measure", "legs", "--n", "4", "--json"])
    #expect(result.code == 0)
    let a = try #require(result.json?["A"] as? [[Double]])
    let b = try #require(result.json?["B"] as? [Double])
    #expect(a.count == 4 && a[1][0] == -3.0.squareRoot() && a[3][3] == -4)
    #expect(abs(b[2] - 5.0.squareRoot()) < 1e-15)
  }

  @Test func discretizeReportsStabilityAndMatchesTheOracle() throws {
    let result = run(["ssm", "discretize", "--measure", "legt", "--n", "4", "--dt", "0.1", "--method", "zoh", "--json"])
    #expect(result.code == 0)
    let b = try #require(result.json?["B"] as? [Double])
    #expect(abs(b[0] - 0.052858) < 1e-6)
    #expect(result.json?["unstable"] as? Bool == false)
    let unstable = run(["ssm", "discretize", "--measure", "legs", "--n", "8", "--dt", "1", "--method", "euler"])
    #expect(unstable.code == 0 && unstable.stderr.contains("unstable"))
  }

  @Test func benchReportsEveryKernelAndTheRatios() throws {
    let result = run(["bench", "ssm", "--length", "64", "--max-n", "32", "--channels", "2", "--json"])
    #expect(result.code == 0, "\(result.stderr)")
    let kernels = try #require(result.json?["kernels"] as? [[String: Any]])
    let rows = kernels.compactMap { entry -> String? in
      guard let kind = entry["kind"] as? String, let n = entry["n"] as? Int, let length = entry["length"] as? Int,
        let channels = entry["channels"] as? Int, let seconds = entry["seconds"] as? Double, seconds > 0
      else { return nil }
      return "\(kind) \(n) \(length) \(channels)"
    }
    #expect(
      rows == [
        "s4 16 64 1", "s4 32 64 1", "s4d 16 64 1", "s4d 32 64 1", "rtf 16 64 1", "rtf 32 64 1", "s4 64 64 2",
        "s4d 64 64 2", "s4d-convolution 64 256 1", "s4d-recurrence 64 256 1",
      ])
    let ratios = try #require(result.json?["ratios"] as? [String: Double])
    #expect(ratios.count == 5 && ratios.values.allSatisfy { $0 > 0 && $0.isFinite })
    #expect(run(["bench", "ssm", "--max-n", "8"]).code == 2)
  }

  @Test func approximateReportsTheReferenceMSE() throws {
    let result = run(["ssm", "approximate", "--measure", "legs", "--n", "32", "--method", "bilinear", "--json"])
    #expect(result.code == 0)
    let mse = try #require(result.json?["mse"] as? Double)
    #expect(mse < 1.5 * 3.84e-5 && mse > 3.84e-5 / 1.5)
  }

  @Test(arguments: ["s4", "s4d", "rtf"])
  func kernelAgreesWithThePowerSeries(kind: String) throws {
    let result = run(["ssm", "kernel", "--kind", kind, "--n", "8", "--length", "64", "--channels", "2", "--json"])
    #expect(result.code == 0, "\(result.stderr)")
    let difference = try #require(result.json?["max_abs_difference"] as? Double)
    #expect(difference < 1e-10)
    #expect(result.json?["check_skipped"] as? Bool == false)
    // The total includes the setup: the three times add up (to rounding of the printed decimals).
    let setup = try #require(result.json?["setup_seconds"] as? Double)
    let kernel = try #require(result.json?["kernel_seconds"] as? Double)
    let total = try #require(result.json?["seconds"] as? Double)
    #expect(abs(setup + kernel - total) <= 1e-9 * max(total, 1))
  }

  /// Every JSON member of every ssm command is a real value: no `null`, whatever the measure or the check.
  @Test func jsonNeverHoldsNull() throws {
    for arguments in [
      ["ssm", "kernel", "--kind", "s4", "--n", "512", "--length", "16384", "--json"],  // check skipped
      ["ssm", "approximate", "--measure", "legs", "--n", "8", "--json"],  // no single transition
      ["ssm", "approximate", "--measure", "fout", "--n", "8", "--json"],
      ["ssm", "discretize", "--measure", "legt", "--n", "64", "--dt", "0.1", "--method", "euler", "--json"],
      ["ssm", "hippo", "--measure", "lagt", "--n", "3", "--json"],
    ] {
      let result = run(arguments)
      #expect(result.code == 0, "\(arguments): \(result.stderr)")
      #expect(result.json != nil && !result.stdout.contains("null"), "\(arguments): \(result.stdout.prefix(300))")
    }
  }

  /// The reported radius is the exact one for the triangular measures at any N: LagT's discrete eigenvalues
  /// are 1 − Δ/2 (Euler), LegS's are 1 − Δ(n + 1). The power estimate this replaces reported 0 and "stable".
  @Test(arguments: [(["lagt", "64", "5"], 1.5), (["lagt", "24", "1"], 0.5), (["legs", "64", "0.5"], 31.0), (["legs", "32", "0.01"], 0.99)])
  func discretizeReportsTheExactRadiusOfTriangularMeasures(options: [String], radius: Double) throws {
    let result = run([
      "ssm", "discretize", "--measure", options[0], "--n", options[1], "--dt", options[2], "--method", "euler", "--json",
    ])
    #expect(result.code == 0, "\(result.stderr)")
    let reported = try #require(result.json?["spectral_radius"] as? Double)
    #expect(abs(reported - radius) <= 1e-14 * radius, "\(options): \(reported)")
    #expect(result.json?["unstable"] as? Bool == (radius > 1))
    #expect(result.json?["stability"] as? String == (radius > 1 ? "unstable" : "stable"))
    let bounds = try #require(result.json?["spectral_radius_bounds"] as? [Double])
    #expect(bounds == [reported, reported])
  }

  /// FouT's zero eigenvalue maps to exactly 1 under every implicit rule: marginal, not unstable.
  @Test(arguments: ["backward", "bilinear", "zoh"])
  func fourierIsMarginallyStable(method: String) throws {
    let result = run(["ssm", "discretize", "--measure", "fout", "--n", "16", "--dt", "0.1", "--method", method, "--json"])
    #expect(result.code == 0)
    let radius = try #require(result.json?["spectral_radius"] as? Double)
    #expect(abs(radius - 1) < 1e-12)
    #expect(result.json?["stability"] as? String == "marginal" && result.json?["unstable"] as? Bool == false)
    let text = run(["ssm", "discretize", "--measure", "fout", "--n", "16", "--dt", "0.1", "--method", method])
    #expect(text.code == 0 && text.stderr.contains("marginally stable"))
  }

  /// Numerical breakdowns and bad file contents exit 1; only command-line mistakes exit 2.
  @Test func numericalBreakdownsAndFileContentsAreFailures() throws {
    let zoh = run(["ssm", "discretize", "--measure", "lagt", "--dt", "1e308", "--method", "zoh"])
    #expect(zoh.code == 1 && zoh.stderr.contains("overflows"), "\(zoh.stderr)")
    let euler = run(["ssm", "discretize", "--measure", "legs", "--dt", "1e308", "--method", "euler"])
    #expect(euler.code == 1 && euler.stderr.contains("overflows"), "\(euler.stderr)")
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let matrix = folder.file("matrix.npy")
    try NPYFile.write(try TensorData(Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])), to: matrix)
    let shape = run(["ssm", "approximate", "--input", matrix.path])
    #expect(shape.code == 1 && shape.stderr.contains("matrix.npy"), "\(shape.stderr)")
    let nan = folder.file("nan.npy")
    try NPYFile.write(try TensorData(Tensor<Double>(shape: [3], scalars: [1, .nan, 2])), to: nan)
    let nanResult = run(["ssm", "approximate", "--input", nan.path])
    #expect(nanResult.code == 1 && nanResult.stderr.contains("index 1"), "\(nanResult.stderr)")
    // A finite but huge signal: the squared error overflows; it is reported, not printed as null.
    let huge = folder.file("huge.npy")
    try NPYFile.write(try TensorData(Tensor<Double>(shape: [50], scalars: [Double](repeating: 1e200, count: 50))), to: huge)
    let overflow = run(["ssm", "approximate", "--measure", "legt", "--n", "8", "--input", huge.path, "--json"])
    #expect(overflow.code == 1 && overflow.stdout.isEmpty && overflow.stderr.contains("overflows"), "\(overflow.stderr)")
    let odd = run(["ssm", "kernel", "--kind", "s4d", "--n", "7"])
    #expect(odd.code == 2, "\(odd.stderr)")
  }

  /// Sizes whose memory or setup time is excessive are refused before any work, naming the options.
  @Test func excessiveSizesAreRefusedUpFront() throws {
    let memory = run(["ssm", "kernel", "--length", "16777216", "--channels", "65536"])
    #expect(memory.code == 2 && memory.stderr.contains("--length 16777216") && memory.stderr.contains("TB"), "\(memory.stderr)")
    let setup = run(["ssm", "kernel", "--kind", "s4", "--n", "4096"])
    #expect(setup.code == 2 && setup.stderr.contains("--allow-large-setup"), "\(setup.stderr)")
    let bench = run(["bench", "ssm", "--max-n", "4096"])
    #expect(bench.code == 2 && bench.stderr.contains("--allow-large-setup"), "\(bench.stderr)")
    let benchMemory = run(["bench", "ssm", "--length", "4194304", "--channels", "4096"])
    #expect(benchMemory.code == 2 && benchMemory.stderr.contains("memory"), "\(benchMemory.stderr)")
  }

  @Test func badInputIsAUsageError() throws {
    for arguments in [
      ["ssm", "hippo", "--n", "0"], ["ssm", "hippo", "--measure", "legx"],
      ["ssm", "discretize", "--dt", "-1"], ["ssm", "discretize", "--dt", "nan"],
      ["ssm", "discretize", "--method", "rk4"], ["ssm", "kernel", "--length", "0"],
    ] {
      let result = run(arguments)
      #expect(result.code == 2, "\(arguments): \(result.stderr)")
      #expect(!result.stderr.isEmpty)
    }
    let missing = run(["ssm", "approximate", "--input", "/nonexistent/signal.npy"])
    #expect(missing.code == 1 && missing.stderr.contains("signal.npy"))
  }
}
