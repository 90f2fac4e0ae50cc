// UNTESTED Apple-platform stand-in: Accelerate offers column-major LAPACK and vDSP, not LAPACKE/FFTW, and this
// package has not been built on Apple platforms yet. Until a real Accelerate back end is written and tested,
// the LAPACK entry points report failure (thrown as `LinalgError.backendFailure`) and the FFT entry points
// return no plan, so `fft` falls back to the naive O(n²) DFT.
#if canImport(Accelerate)
  /// The `info` value reported by every LAPACK entry point on this platform.
  private let unavailable = -9999

  extension Float {
    public static func lapackDivideAndConquerSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, singularValues: UnsafeMutablePointer<Float>,
      u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
    ) -> Int { unavailable }
    public static func lapackQRIterationSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, singularValues: UnsafeMutablePointer<Float>,
      u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
    ) -> Int { unavailable }
    public static func lapackSymmetricEigen(
      n: Int, a: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    ) -> Int { unavailable }
    public static func lapackSolve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Float>, pivots: UnsafeMutablePointer<BLASInteger>,
      b: UnsafeMutablePointer<Float>
    ) -> Int { unavailable }
    public static func lapackQRFactor(
      m: Int, n: Int, a: UnsafeMutablePointer<Float>, tau: UnsafeMutablePointer<Float>
    ) -> Int { unavailable }
    public static func lapackQRFormQ(
      m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<Float>, tau: UnsafePointer<Float>
    ) -> Int { unavailable }
    public static func fftwPlan(_ kind: FFTKind, length: Int, aligned: Bool) -> OpaquePointer? { nil }
    public static func fftwExecute(
      _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer
    ) {}
    public static func fftwIsAligned(_ pointer: UnsafeRawPointer) -> Bool { false }
  }

  extension Double {
    public static func lapackDivideAndConquerSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, singularValues: UnsafeMutablePointer<Double>,
      u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>
    ) -> Int { unavailable }
    public static func lapackQRIterationSVD(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, singularValues: UnsafeMutablePointer<Double>,
      u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>
    ) -> Int { unavailable }
    public static func lapackSymmetricEigen(
      n: Int, a: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>
    ) -> Int { unavailable }
    public static func lapackSolve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Double>, pivots: UnsafeMutablePointer<BLASInteger>,
      b: UnsafeMutablePointer<Double>
    ) -> Int { unavailable }
    public static func lapackQRFactor(
      m: Int, n: Int, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>
    ) -> Int { unavailable }
    public static func lapackQRFormQ(
      m: Int, n: Int, reflectors: Int, a: UnsafeMutablePointer<Double>, tau: UnsafePointer<Double>
    ) -> Int { unavailable }
    public static func fftwPlan(_ kind: FFTKind, length: Int, aligned: Bool) -> OpaquePointer? { nil }
    public static func fftwExecute(
      _ plan: OpaquePointer, _ kind: FFTKind, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer
    ) {}
    public static func fftwIsAligned(_ pointer: UnsafeRawPointer) -> Bool { false }
  }

  enum ComplexLAPACK {
    static func generalEigen(
      n: Int, a: UnsafeMutablePointer<Double>, realParts: UnsafeMutablePointer<Double>,
      imaginaryParts: UnsafeMutablePointer<Double>, vectors: UnsafeMutablePointer<Double>
    ) -> Int { unavailable }
    static func hermitianEigen(
      n: Int, a: UnsafeMutablePointer<Complex<Double>>, values: UnsafeMutablePointer<Double>
    ) -> Int { unavailable }
    static func solve(
      n: Int, rightHandSides: Int, a: UnsafeMutablePointer<Complex<Double>>,
      pivots: UnsafeMutablePointer<BLASInteger>, b: UnsafeMutablePointer<Complex<Double>>
    ) -> Int { unavailable }
  }
#endif
