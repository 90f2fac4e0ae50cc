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

  @Test func buffersThatDoNotFitTheirRowsAreRefused() {
    let scores: [Float] = [1, 2, 3, 4, 5, 6]
    var output = [Float](repeating: 0, count: 4)
    scores.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { out in
        #expect(throws: ProbabilityMapError.shapeMismatch(tensor: "output", shape: [4], reference: "scores", referenceShape: [6])) {
          try Entmax15().forward(rows: x, length: 3, into: out)
        }
        #expect(throws: ProbabilityMapError.emptyLastAxis(tensor: "scores", shape: [6, 0])) {
          try Sparsemax().forward(rows: x, length: 0, into: out)
        }
        #expect(throws: ProbabilityMapError.shapeMismatch(
          tensor: "scores", shape: [6], reference: "rows of length 4", referenceShape: [1, 4])
        ) { try Softmax.standard.forward(rows: x, length: 4, into: out) }
      }
    }
  }

  @Test func buffersGiveTheRowsOfTheClosedForm() throws {
    // Sparsemax of [0, 1, 3] is [0, 0, 1]; of [1, 1, 1] it is uniform (τ = 2/3).
    let scores: [Float] = [0, 1, 3, 1, 1, 1]
    var output = [Float](repeating: .nan, count: 6)
    try scores.withUnsafeBufferPointer { x in
      try output.withUnsafeMutableBufferPointer { try Sparsemax().forward(rows: x, length: 3, into: $0) }
    }
    #expect(output[0...2] == [0, 0, 1])
    #expect(output[3...5].allSatisfy { abs($0 - 1 / 3) < 1e-7 })
  }
}
