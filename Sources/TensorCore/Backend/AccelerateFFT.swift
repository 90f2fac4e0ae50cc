// FFT on Accelerate (Apple platforms): the `fftw…` requirements of `TensorScalar` on vDSP. Complex transforms of
// the lengths vDSP's split-complex DFT supports (f·2ⁿ, f ∈ {1, 3, 5, 15}, n ≥ 3) run on vDSP directly; every
// other length goes through `BluesteinFFT` on a vDSP power of two; real transforms go through complex ones
// (`RealFFTThroughComplex`). All transforms are unnormalized, as FFTW's; the `1/n` of the inverse transforms
// stays where the Linux path applies it (`FFT.swift`, `RealFFT.swift`). Written to the API of Accelerate; not
// compiled or tested on an Apple platform. Bluestein and the real-through-complex adapter are tested on Linux.
#if canImport(Accelerate)
  import Accelerate

  /// The element types of vDSP's split-complex DFT.
  protocol VDSPDFTScalar: TensorScalar {
    /// `vDSP_DFT_zop_CreateSetup(D)`: a complex DFT setup of `length` points, or `nil` if unsupported.
    static func makeDFTSetup(length: Int, direction: vDSP_DFT_Direction) -> OpaquePointer?
    /// `vDSP_DFT_Execute(D)` out of place on split-complex arrays.
    static func executeDFT(
      _ setup: OpaquePointer, realIn: UnsafePointer<Self>, imaginaryIn: UnsafePointer<Self>,
      realOut: UnsafeMutablePointer<Self>, imaginaryOut: UnsafeMutablePointer<Self>)
    /// `vDSP_DFT_DestroySetup(D)`.
    static func destroyDFTSetup(_ setup: OpaquePointer)
  }

  extension Float: VDSPDFTScalar {
    static func makeDFTSetup(length: Int, direction: vDSP_DFT_Direction) -> OpaquePointer? {
      vDSP_DFT_zop_CreateSetup(nil, vDSP_Length(length), direction)
    }
    static func executeDFT(
      _ setup: OpaquePointer, realIn: UnsafePointer<Float>, imaginaryIn: UnsafePointer<Float>,
      realOut: UnsafeMutablePointer<Float>, imaginaryOut: UnsafeMutablePointer<Float>
    ) { vDSP_DFT_Execute(setup, realIn, imaginaryIn, realOut, imaginaryOut) }
    static func destroyDFTSetup(_ setup: OpaquePointer) { vDSP_DFT_DestroySetup(setup) }
  }

  extension Double: VDSPDFTScalar {
    static func makeDFTSetup(length: Int, direction: vDSP_DFT_Direction) -> OpaquePointer? {
      vDSP_DFT_zop_CreateSetupD(nil, vDSP_Length(length), direction)
    }
    static func executeDFT(
      _ setup: OpaquePointer, realIn: UnsafePointer<Double>, imaginaryIn: UnsafePointer<Double>,
      realOut: UnsafeMutablePointer<Double>, imaginaryOut: UnsafeMutablePointer<Double>
    ) { vDSP_DFT_ExecuteD(setup, realIn, imaginaryIn, realOut, imaginaryOut) }
    static func destroyDFTSetup(_ setup: OpaquePointer) { vDSP_DFT_DestroySetupD(setup) }
  }

  /// vDSP's complex DFT of one supported length, both directions, in place on interleaved `Complex` buffers.
  ///
  /// The setups are read-only after creation, so one instance may run on several threads at once; every call
  /// converts to split-complex form in its own workspace.
  final class VDSPComplexDFT<S: VDSPDFTScalar>: @unchecked Sendable {
    /// The number of points.
    let length: Int
    private let forwardSetup: OpaquePointer
    private let inverseSetup: OpaquePointer

    /// The smallest power of two vDSP's complex DFT accepts.
    static var minimumPowerOfTwo: Int { 8 }

    /// Whether vDSP's complex DFT supports `length`: `f·2ⁿ` with `f ∈ {1, 3, 5, 15}` and `n ≥ 3`.
    static func supports(_ length: Int) -> Bool {
      guard length >= minimumPowerOfTwo else { return false }
      var odd = length
      while odd % 2 == 0 { odd /= 2 }
      return [1, 3, 5, 15].contains(odd) && length / odd >= minimumPowerOfTwo
    }

    /// Creates both setups, or returns `nil` if vDSP does not support `length`.
    init?(length: Int) {
      guard Self.supports(length), let forward = S.makeDFTSetup(length: length, direction: .FORWARD) else {
        return nil
      }
      guard let inverse = S.makeDFTSetup(length: length, direction: .INVERSE) else {
        S.destroyDFTSetup(forward)
        return nil
      }
      self.length = length
      self.forwardSetup = forward
      self.inverseSetup = inverse
    }

    deinit {
      S.destroyDFTSetup(forwardSetup)
      S.destroyDFTSetup(inverseSetup)
    }

    /// The unnormalized transform of `buffer` (`length` points) in place.
    ///
    /// - Complexity: O(n log n) and a workspace of `4n` reals.
    func transform(_ buffer: UnsafeMutableBufferPointer<Complex<S>>, _ kind: FFTKind) {
      precondition(buffer.count == length, "vDSP DFT: \(buffer.count) points for a setup of \(length)")
      let split = UnsafeMutableBufferPointer<S>.allocate(capacity: 4 * length)
      defer { split.deallocate() }
      split.initialize(repeating: 0)
      let (realIn, imaginaryIn) = (split.baseAddress!, split.baseAddress! + length)
      let (realOut, imaginaryOut) = (split.baseAddress! + 2 * length, split.baseAddress! + 3 * length)
      for j in 0..<length {
        realIn[j] = buffer[j].real
        imaginaryIn[j] = buffer[j].imaginary
      }
      S.executeDFT(
        kind == .backward ? inverseSetup : forwardSetup, realIn: realIn, imaginaryIn: imaginaryIn,
        realOut: realOut, imaginaryOut: imaginaryOut)
      for k in 0..<length { buffer[k] = Complex(realOut[k], imaginaryOut[k]) }
    }
  }

  /// One transform as the plan cache stores it: vDSP directly, or Bluestein on a vDSP power of two.
  final class AccelerateFFTPlan<S: VDSPDFTScalar>: @unchecked Sendable {
    private enum ComplexEngine {
      case direct(VDSPComplexDFT<S>)
      case bluestein(BluesteinFFT<S>, inner: VDSPComplexDFT<S>)
    }

    /// The kind of transform the plan runs.
    let kind: FFTKind
    /// The number of points (real points for the real kinds).
    let length: Int
    private let engine: ComplexEngine

    /// Plans one transform of `length` points, or returns `nil` if vDSP cannot create a setup.
    init?(kind: FFTKind, length: Int) {
      guard length >= 1 else { return nil }
      if let direct = VDSPComplexDFT<S>(length: length) {
        engine = .direct(direct)
      } else {
        let minimum = VDSPComplexDFT<S>.minimumPowerOfTwo
        let padded = BluesteinFFT<S>.paddedLength(for: length, minimumPaddedLength: minimum)
        guard let inner = VDSPComplexDFT<S>(length: padded) else { return nil }
        let plan = BluesteinFFT<S>(length: length, minimumPaddedLength: minimum, powerOfTwoFFT: inner.transform)
        engine = .bluestein(plan, inner: inner)
      }
      self.kind = kind
      self.length = length
    }

    /// The complex transform of `length` points in place.
    private func complexTransform(_ buffer: UnsafeMutableBufferPointer<Complex<S>>, _ direction: FFTKind) {
      switch engine {
      case .direct(let dft):
        dft.transform(buffer, direction)
      case .bluestein(let plan, let inner):
        plan.transform(buffer.baseAddress!, buffer.baseAddress!, kind: direction, powerOfTwoFFT: inner.transform)
      }
    }

    /// Runs the plan from `input` to `output`, laid out as for FFTW's new-array execute functions.
    func execute(input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer) {
      switch kind {
      case .forward, .backward:
        let target = output.assumingMemoryBound(to: Complex<S>.self)
        let source = input.assumingMemoryBound(to: Complex<S>.self)
        if source != target { target.update(from: source, count: length) }
        complexTransform(UnsafeMutableBufferPointer(start: target, count: length), kind)
      case .realToComplex:
        RealFFTThroughComplex.forward(
          input.assumingMemoryBound(to: S.self), count: length, into: output.assumingMemoryBound(to: Complex<S>.self),
          complexFFT: complexTransform)
      case .complexToReal:
        RealFFTThroughComplex.backward(
          input.assumingMemoryBound(to: Complex<S>.self), count: length, into: output.assumingMemoryBound(to: S.self),
          complexFFT: complexTransform)
      }
    }

    /// Plans a transform and hands it out retained, as the opaque pointer the plan cache keeps for the process.
    static func makeOpaque(_ kind: FFTKind, length: Int) -> OpaquePointer? {
      guard let plan = AccelerateFFTPlan(kind: kind, length: length) else { return nil }
      return OpaquePointer(Unmanaged.passRetained(plan).toOpaque())
    }

    /// Runs a plan from ``makeOpaque(_:length:)``.
    static func executeOpaque(
      _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer
    ) {
      let instance = Unmanaged<AccelerateFFTPlan<S>>.fromOpaque(UnsafeRawPointer(plan)).takeUnretainedValue()
      precondition(instance.kind == kind, "FFT: a \(instance.kind) plan run as \(kind)")
      instance.execute(input: input, output: output)
    }
  }

  extension Float {
    public static func fftwPlan(_ kind: FFTKind, length: Int, aligned: Bool) -> OpaquePointer? {
      AccelerateFFTPlan<Float>.makeOpaque(kind, length: length)
    }

    public static func fftwExecute(
      _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer
    ) { AccelerateFFTPlan<Float>.executeOpaque(plan, kind, input: input, output: output) }

    /// vDSP's DFT has no alignment-specific plans: every pointer counts as aligned, one plan per length.
    public static func fftwIsAligned(_ pointer: UnsafeRawPointer) -> Bool { true }
  }

  extension Double {
    public static func fftwPlan(_ kind: FFTKind, length: Int, aligned: Bool) -> OpaquePointer? {
      AccelerateFFTPlan<Double>.makeOpaque(kind, length: length)
    }

    public static func fftwExecute(
      _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer
    ) { AccelerateFFTPlan<Double>.executeOpaque(plan, kind, input: input, output: output) }

    /// vDSP's DFT has no alignment-specific plans: every pointer counts as aligned, one plan per length.
    public static func fftwIsAligned(_ pointer: UnsafeRawPointer) -> Bool { true }
  }
#endif
