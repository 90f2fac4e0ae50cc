import TensorFiles
import Testing

// Swift's Float16 is the independent reference here; it exists on Linux and Apple silicon.
#if !(os(macOS) && arch(x86_64))
  @Suite("binary16 conversions against Swift's Float16")
  struct HalfPrecisionTests {
    @Test func everyBitPatternDecodesExactly() {
      for bits in UInt16.min...UInt16.max {
        let reference = Float(Float16(bitPattern: bits))
        let value = HalfPrecision.float(bits)
        if reference.isNaN {
          #expect(value.isNaN && value.sign == reference.sign, "bits \(bits)")
        } else {
          #expect(value.bitPattern == reference.bitPattern, "bits \(bits)")
        }
      }
    }

    @Test func everyHalfAndEveryMidpointRoundsAsFloat16Does() {
      for bits in UInt16.min...UInt16.max where !Float16(bitPattern: bits).isNaN {
        let value = Double(Float16(bitPattern: bits))
        #expect(HalfPrecision.bits(value) == bits, "round trip of bits \(bits)")
        // The midpoint to the next half up is a tie: it must round to the even neighbour, like Float16(Double).
        let next = Double(Float16(bitPattern: bits).nextUp)
        guard next.isFinite, value.isFinite else { continue }
        for probe in [(value + next) / 2, value + (next - value) * 0.25, value + (next - value) * 0.75] {
          #expect(HalfPrecision.bits(probe) == Float16(probe).bitPattern, "\(probe)")
        }
      }
    }

    @Test func overflowUnderflowAndNaN() {
      #expect(HalfPrecision.bits(65504) == 0x7BFF)
      #expect(HalfPrecision.bits(65520) == 0x7C00)  // the tie above the largest finite half goes to infinity
      #expect(HalfPrecision.bits(-1e10) == 0xFC00)
      #expect(HalfPrecision.bits(0x1p-25) == 0)  // tie between 0 and the smallest subnormal: even
      #expect(HalfPrecision.bits(0x1.0000000000001p-25) == 1)
      #expect(HalfPrecision.bits(-0.0) == 0x8000)
      let nan = HalfPrecision.bits(-.nan)
      #expect(nan & 0x7C00 == 0x7C00 && nan & 0x3FF != 0 && nan & 0x8000 != 0)
    }
  }
#endif
