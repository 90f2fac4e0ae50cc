import Pretrained
import Testing

@Suite struct PretrainedModelErrorTests {
  @Test func messagesNameTheFileAndTensor() {
    let error = PretrainedModelError.tensorShapeMismatch(
      file: "model.safetensors", tensor: "wte.weight", expected: [50257, 768], actual: [768, 50257])
    #expect(error.description == "model.safetensors: tensor 'wte.weight' has shape [768, 50257], expected [50257, 768]")
    #expect(TokenizerError.malformedFile(file: "merges.txt", line: 3, reason: "expected two symbols").description
      == "merges.txt:3: expected two symbols")
  }
}
