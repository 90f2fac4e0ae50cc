import Foundation
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
    #expect((result.json?["seconds"] as? Double ?? -1) >= 0)
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
