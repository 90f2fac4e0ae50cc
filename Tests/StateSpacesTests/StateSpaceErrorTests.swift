import StateSpaces
import TensorCore
import Testing

/// Each failure names its operation and the parameter or tensor at fault, as labelled payloads.
@Suite struct StateSpaceErrorTests {
  @Test func aParameterOutsideItsDomainNamesTheParameterAndTheRequirement() {
    #expect(throws: StateSpaceError.invalidParameter(
      operation: "HiPPO", parameter: "state size N", value: "0", requirement: "in 1...\(HiPPO.maximumOrder)")
    ) { try HiPPO.matrices(.legS, order: 0) }
    #expect(throws: StateSpaceError.unknownName(
      kind: "HiPPO measure", name: "legx", choices: ["legs", "legt", "lagt", "fout"])
    ) { try HiPPOMeasure(name: "legx") }
  }

  @Test func countsThatDoNotFitNameEveryTensor() {
    let one = [Complex<Double>](repeating: .one, count: 2)
    #expect(throws: StateSpaceError.countsDisagree(
      operation: "S4D", tensors: ["A", "B", "C"], counts: [2, 2, 3], requirement: "they must be equal and not empty")
    ) { try DiagonalStateSpace(a: one, b: one, c: one + [.one], step: 0.1) }
    #expect(throws: StateSpaceError.countMismatch(
      operation: "causal convolution", tensor: "D (feed-through)", count: 3, expected: 1)
    ) { try causalConvolution([1, 2], kernel: [1, 0], channels: 1, length: 2, feedthrough: [1, 2, 3]) }
  }

  @Test func aNonFiniteInputNamesTheTensorAndTheFirstBadIndex() {
    #expect(throws: StateSpaceError.nonFiniteInput(operation: "RTF", tensor: "the numerator b", index: 1)) {
      try TransferFunction(denominator: [0.5, 0.1], numerator: [1, .nan], feedthrough: 0)
    }
  }

  @Test func faultsSeparateParametersInputsAndComputations() {
    #expect(StateSpaceError.sizeOverflow(operation: "S4", sizes: [Int.max, 2]).fault == .parameter)
    #expect(StateSpaceError.emptyInput(operation: "S4D gradient", tensor: "the upstream gradient").fault == .input)
    #expect(StateSpaceError.overflow(operation: "RTF", tensor: "the kernel", index: 3).fault == .numerical)
    #expect(StateSpaceError.countMismatch(operation: "S4", tensor: "C", count: 3, expected: 4).description
      == "S4: C has 3 entries, not 4")
  }
}
