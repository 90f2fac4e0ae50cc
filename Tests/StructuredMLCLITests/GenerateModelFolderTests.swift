import Foundation
import NN
import Pretrained
import TensorCore
import Testing

@testable import StructuredMLCLI

/// `structml generate --model DIR` on the tiny GPT-2 folder of the Pretrained tests' fixtures.
@Suite struct GenerateModelFolderTests {
  let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("PretrainedTests/Fixtures/tiny-gpt2")

  @Test func greedyOutputEqualsTheLibrarys() throws {
    let result = runInProcess(
      ["generate", "--model", folder.path, "--prompt", "The quick brown fox", "--tokens", "12", "--temperature", "0"])
    #expect(result.status == 0, "\(result.error)")
    let gpt2 = try GPT2Folder(folder)
    var generator = SeededGenerator(seed: 0)
    let library = try gpt2.generate(prompt: "The quick brown fox", tokens: 12, temperature: 0, using: &generator)
    #expect(library.generated.count == 12)
    let text = try gpt2.tokenizer.decode(library.prompt + library.generated)
    #expect(result.out == GenerateCommand.printable(Array(text.utf8)) + "\n")
    #expect(result.out.hasPrefix("The quick brown fox"))
  }

  @Test func samplingIsSeeded() {
    func sample(_ seed: String) -> String {
      runInProcess(
        ["generate", "--model", folder.path, "--prompt", "Hello", "--tokens", "30", "--temperature", "1.5", "--top-k", "50",
         "--seed", seed]
      ).out
    }
    #expect(sample("3") == sample("3"))
    #expect(sample("3") != sample("4"))
  }

  @Test func badInvocationsExitWithTheRightStatus() {
    let both = runInProcess(["generate", "--model", folder.path, "--checkpoint", folder.path, "--prompt", "hi"])
    #expect(both.status == 2 && both.error.contains("--checkpoint") && both.error.contains("--model"), "\(both.error)")
    let neither = runInProcess(["generate", "--prompt", "hi"])
    #expect(neither.status == 2 && neither.error.contains("--model"), "\(neither.error)")
    let missing = "/nonexistent/tiny-gpt2-folder"
    let absent = runInProcess(["generate", "--model", missing, "--prompt", "hi"])
    #expect(absent.status == 1 && absent.error.contains(missing), "\(absent.error)")
  }
}
