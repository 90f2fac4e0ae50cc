import ProbabilityMaps
import TensorCore
import Testing

/// Each failure names the map and parameter, or the tensor, as labelled payloads.
@Suite struct ProbabilityMapErrorTests {
  @Test func parametersOutsideTheirDomainNameTheMapAndParameter() {
    #expect(throws: ProbabilityMapError.invalidParameter(
      map: "softmax", parameter: "temperature", value: 0, requirement: "finite and positive")
    ) { try Softmax(temperature: 0) }
    #expect(throws: ProbabilityMapError.invalidParameter(
      map: "entmax", parameter: "alpha of row 1", value: 0.5, requirement: "finite and at least 1")
    ) { try Entmax(alphaPerRow: [1.5, 0.5]) }
    #expect(throws: ProbabilityMapError.parameterCountMismatch(map: "entmax", parameter: "alpha", count: 2, rows: 3)) {
      try Entmax(alphaPerRow: [1.5, 2]).forward(Tensor<Double>(repeating: 0, shape: [3, 4]))
    }
    #expect((try? TopKSoftmax(k: 0)) == nil)
  }

  @Test func inputsThatDoNotFitNameTheTensorAndShape() {
    #expect(throws: ProbabilityMapError.emptyLastAxis(tensor: "scores", shape: [2, 0])) {
      try Sparsemax().forward(Tensor<Double>(shape: [2, 0], scalars: []))
    }
    let scores = Tensor<Double>(repeating: 0, shape: [2, 3])
    #expect(throws: ProbabilityMapError.targetOutOfRange(row: 1, target: 3, classes: 3)) {
      try FenchelYoungLoss(alpha: 1.5)(scores, targets: [0, 3])
    }
    #expect(throws: ProbabilityMapError.targetCountMismatch(targets: 1, rows: 2)) {
      try FenchelYoungLoss(alpha: 1.5)(scores, targets: [0])
    }
  }

  @Test func onlySettingsCarryAParameterName() {
    #expect(ProbabilityMapError.invalidParameter(map: "top-k softmax", parameter: "k", value: 0, requirement: "at least 1")
      .parameter == "k")
    #expect(ProbabilityMapError.scalarInput(tensor: "scores").parameter == nil)
  }
}
