// FFTW entry points: plan creation (callers serialize it) and new-array execution (thread-safe).
#if !canImport(Accelerate)
  import CFFTW

  /// Planner flags: estimate (never touches the arrays), and allow any alignment unless asked for aligned data.
  private func plannerFlags(aligned: Bool) -> UInt32 {
    UInt32(FFTW_ESTIMATE) | (aligned ? 0 : UInt32(FFTW_UNALIGNED))
  }

  /// The FFTW sign of a complex transform.
  private func fftwSign(_ kind: FFTKind) -> Int32 { kind == .backward ? Int32(FFTW_BACKWARD) : Int32(FFTW_FORWARD) }

  extension Float {
    public static func fftwPlan(_ kind: FFTKind, length: Int, aligned: Bool) -> OpaquePointer? {
      let complexCount = kind == .forward || kind == .backward ? length : length / 2 + 1
      guard let input = fftwf_malloc(MemoryLayout<fftwf_complex>.stride * Swift.max(1, length)),
        let output = fftwf_malloc(MemoryLayout<fftwf_complex>.stride * Swift.max(1, length))
      else { return nil }
      defer {
        fftwf_free(input)
        fftwf_free(output)
      }
      let n = blasInt(length)
      let flags = plannerFlags(aligned: aligned)
      let complexIn = input.bindMemory(to: fftwf_complex.self, capacity: complexCount)
      let complexOut = output.bindMemory(to: fftwf_complex.self, capacity: complexCount)
      switch kind {
      case .forward, .backward:
        return fftwf_plan_dft_1d(n, complexIn, complexOut, fftwSign(kind), flags)
      case .realToComplex:
        return fftwf_plan_dft_r2c_1d(n, input.assumingMemoryBound(to: Float.self), complexOut, flags)
      case .complexToReal:
        return fftwf_plan_dft_c2r_1d(n, complexIn, output.assumingMemoryBound(to: Float.self), flags)
      }
    }

    public static func fftwExecute(
      _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer
    ) {
      switch kind {
      case .forward, .backward:
        fftwf_execute_dft(
          plan, input.assumingMemoryBound(to: fftwf_complex.self), output.assumingMemoryBound(to: fftwf_complex.self))
      case .realToComplex:
        fftwf_execute_dft_r2c(
          plan, input.assumingMemoryBound(to: Float.self), output.assumingMemoryBound(to: fftwf_complex.self))
      case .complexToReal:
        fftwf_execute_dft_c2r(
          plan, input.assumingMemoryBound(to: fftwf_complex.self), output.assumingMemoryBound(to: Float.self))
      }
    }

    public static func fftwIsAligned(_ pointer: UnsafeRawPointer) -> Bool {
      fftwf_alignment_of(UnsafeMutablePointer(mutating: pointer.assumingMemoryBound(to: Float.self))) == 0
    }
  }

  extension Double {
    public static func fftwPlan(_ kind: FFTKind, length: Int, aligned: Bool) -> OpaquePointer? {
      let complexCount = kind == .forward || kind == .backward ? length : length / 2 + 1
      guard let input = fftw_malloc(MemoryLayout<fftw_complex>.stride * Swift.max(1, length)),
        let output = fftw_malloc(MemoryLayout<fftw_complex>.stride * Swift.max(1, length))
      else { return nil }
      defer {
        fftw_free(input)
        fftw_free(output)
      }
      let n = blasInt(length)
      let flags = plannerFlags(aligned: aligned)
      let complexIn = input.bindMemory(to: fftw_complex.self, capacity: complexCount)
      let complexOut = output.bindMemory(to: fftw_complex.self, capacity: complexCount)
      switch kind {
      case .forward, .backward:
        return fftw_plan_dft_1d(n, complexIn, complexOut, fftwSign(kind), flags)
      case .realToComplex:
        return fftw_plan_dft_r2c_1d(n, input.assumingMemoryBound(to: Double.self), complexOut, flags)
      case .complexToReal:
        return fftw_plan_dft_c2r_1d(n, complexIn, output.assumingMemoryBound(to: Double.self), flags)
      }
    }

    public static func fftwExecute(
      _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer
    ) {
      switch kind {
      case .forward, .backward:
        fftw_execute_dft(
          plan, input.assumingMemoryBound(to: fftw_complex.self), output.assumingMemoryBound(to: fftw_complex.self))
      case .realToComplex:
        fftw_execute_dft_r2c(
          plan, input.assumingMemoryBound(to: Double.self), output.assumingMemoryBound(to: fftw_complex.self))
      case .complexToReal:
        fftw_execute_dft_c2r(
          plan, input.assumingMemoryBound(to: fftw_complex.self), output.assumingMemoryBound(to: Double.self))
      }
    }

    public static func fftwIsAligned(_ pointer: UnsafeRawPointer) -> Bool {
      fftw_alignment_of(UnsafeMutablePointer(mutating: pointer.assumingMemoryBound(to: Double.self))) == 0
    }
  }
#endif
