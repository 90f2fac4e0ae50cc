import Foundation
import StructuredMLCLI
import Testing

@Suite("bench fft and the numeric-core demo section")
struct FoundationCommandTests {
  @Test(arguments: ["f32", "f64"])
  func benchFFTReportsRatiosAndAccuracyAsJSON(dtype: String) throws {
    let console = Console.capturing()
    let status = StructuredMLTool.run(["bench", "fft", "--n", "60", "--rows", "4", "--dtype", dtype, "--json"], console: console)
    #expect(status == 0, "\(console.standardError)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(console.standardOutput.utf8)) as? [String: Any])
    #expect(object["n"] as? Int == 60)
    #expect(object["rows"] as? Int == 4)
    #expect(object["dtype"] as? String == (dtype == "f32" ? "F32" : "F64"))
    let error = try #require(object["relative_error"] as? Double)
    #expect(error < (dtype == "f32" ? 1e-5 : 1e-13))
    #expect((object["naive_over_fft"] as? Double ?? 0) > 0)
    #expect((object["row_by_row_over_batched"] as? Double ?? 0) > 0)
  }

  @Test func benchFFTRejectsAnUnknownTypeAndALengthOutOfRange() {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(["bench", "fft", "--dtype", "f16"], console: console) == 2)
    #expect(console.standardError.contains("--dtype"))
    let zero = Console.capturing()
    #expect(StructuredMLTool.run(["bench", "fft", "--n", "0"], console: zero) == 2)
    #expect(zero.standardError.contains("--n"))
  }
}
