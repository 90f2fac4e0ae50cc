/// A complex number with real and imaginary parts of a floating-point type.
///
/// The memory layout is two consecutive reals, as in C99 `complex`, FFTW's `fftw_complex` and LAPACK, so
/// buffers of `Complex` can be handed to those libraries directly.
/// Arithmetic is `@inlinable`: generic code in other modules (the state-space kernels) otherwise calls it
/// unspecialized, at about 200 ns an operation.
public struct Complex<RealType: TensorScalar>: Sendable, Hashable, Codable {
  /// The real part.
  public var real: RealType
  /// The imaginary part.
  public var imaginary: RealType

  /// Creates `real + imaginary·i`.
  @inlinable
  public init(_ real: RealType, _ imaginary: RealType = 0) {
    self.real = real
    self.imaginary = imaginary
  }

  /// Zero.
  @inlinable
  public static var zero: Complex { Complex(0, 0) }
  /// One.
  @inlinable
  public static var one: Complex { Complex(1, 0) }
  /// The imaginary unit.
  @inlinable
  public static var i: Complex { Complex(0, 1) }

  /// The complex conjugate.
  @inlinable
  public var conjugate: Complex { Complex(real, -imaginary) }
  /// The squared magnitude `re² + im²`.
  @inlinable
  public var lengthSquared: RealType { real * real + imaginary * imaginary }
  /// The magnitude, computed without undue overflow.
  @inlinable
  public var length: RealType {
    let scale = Swift.max(abs(real), abs(imaginary))
    guard scale.isFinite, scale > 0 else { return scale }
    let (x, y) = (real / scale, imaginary / scale)
    return scale * RealType.squareRoot(x * x + y * y)
  }
  /// Whether both parts are finite.
  @inlinable
  public var isFinite: Bool { real.isFinite && imaginary.isFinite }

  /// `exp(re)·(cos im + i sin im)`.
  @inlinable
  public static func exp(_ z: Complex) -> Complex {
    let r = RealType.exponential(z.real)
    return Complex(r * RealType.cosine(z.imaginary), r * RealType.sine(z.imaginary))
  }

  /// `cos θ + i sin θ`.
  @inlinable
  public init(unitPhase theta: RealType) {
    self.init(RealType.cosine(theta), RealType.sine(theta))
  }

  @inlinable
  public static func + (a: Complex, b: Complex) -> Complex { Complex(a.real + b.real, a.imaginary + b.imaginary) }
  @inlinable
  public static func - (a: Complex, b: Complex) -> Complex { Complex(a.real - b.real, a.imaginary - b.imaginary) }
  @inlinable
  public static prefix func - (a: Complex) -> Complex { Complex(-a.real, -a.imaginary) }
  @inlinable
  public static func * (a: Complex, b: Complex) -> Complex {
    Complex(a.real * b.real - a.imaginary * b.imaginary, a.real * b.imaginary + a.imaginary * b.real)
  }
  @inlinable
  public static func * (a: RealType, b: Complex) -> Complex { Complex(a * b.real, a * b.imaginary) }
  /// Complex division, scaled (Smith's algorithm) to avoid overflow in the denominator.
  @inlinable
  public static func / (a: Complex, b: Complex) -> Complex {
    if abs(b.real) >= abs(b.imaginary) {
      let ratio = b.imaginary / b.real
      let denominator = b.real + b.imaginary * ratio
      return Complex(
        (a.real + a.imaginary * ratio) / denominator, (a.imaginary - a.real * ratio) / denominator)
    } else {
      let ratio = b.real / b.imaginary
      let denominator = b.real * ratio + b.imaginary
      return Complex(
        (a.real * ratio + a.imaginary) / denominator, (a.imaginary * ratio - a.real) / denominator)
    }
  }
  @inlinable
  public static func += (a: inout Complex, b: Complex) { a = a + b }
  @inlinable
  public static func -= (a: inout Complex, b: Complex) { a = a - b }
  @inlinable
  public static func *= (a: inout Complex, b: Complex) { a = a * b }
}

extension Complex: CustomStringConvertible {
  public var description: String {
    imaginary < 0 ? "\(real)-\(-imaginary)i" : "\(real)+\(imaginary)i"
  }
}
