import TestSupport
import Testing

/// The comparison every numerical test relies on must itself fail when it should.
@Suite("The tests' elementwise comparison")
struct DiscrepancyHelperTests {
  @Test func aResultCutShortOrTooLongNeverPasses() {
    let reference: [Double] = [1, 2, 3]
    let short = discrepancy([1.0, 2.0], reference, absoluteTolerance: 1)
    #expect(!short.isWithinTolerance && short.worstIndex == 2 && short.worstDifference == .infinity)
    let long = discrepancy([1.0, 2.0, 3.0, 4.0], reference, absoluteTolerance: 1)
    #expect(!long.isWithinTolerance && long.worstIndex == 3)
    #expect(!discrepancy([Double](), reference, absoluteTolerance: 1).isWithinTolerance)
  }

  @Test func tolerancesAndNaNAreJudgedElementwise() {
    #expect(discrepancy([1.0, 2.05], [1.0, 2.0], absoluteTolerance: 0.1).isWithinTolerance)
    let off = discrepancy([1.0, 2.5], [1.0, 2.0], absoluteTolerance: 0.1)
    #expect(off.worstIndex == 1 && off.worstDifference == 0.5)
    #expect(discrepancy([1.0, 10.5], [1.0, 10.0], absoluteTolerance: 0, relativeTolerance: 0.1).isWithinTolerance)
    #expect(!discrepancy([Double.nan], [1.0], absoluteTolerance: 1).isWithinTolerance)
    #expect(discrepancy([Double.nan], [Double.nan], absoluteTolerance: 0).isWithinTolerance)
  }
}
