#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Float: TensorScalar {
  public static var dtypeName: String { "F32" }

  public static func blasGemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
  }

  public static func blasAxpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    cblas_saxpy(blasInt(count), alpha, x, 1, y, 1)
  }

  public static func blasScale(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
    cblas_sscal(blasInt(count), alpha, x, 1)
  }

  public static func squareRoot(_ x: Float) -> Float { sqrtf(x) }
  public static func exponential(_ x: Float) -> Float { expf(x) }
  public static func logarithm(_ x: Float) -> Float { logf(x) }
  public static func power(_ x: Float, _ y: Float) -> Float { powf(x, y) }
  public static func cosine(_ x: Float) -> Float { cosf(x) }
  public static func sine(_ x: Float) -> Float { sinf(x) }
  public static func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }
}

extension Double: TensorScalar {
  public static var dtypeName: String { "F64" }

  public static func blasGemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
  }

  public static func blasAxpy(count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
    cblas_daxpy(blasInt(count), alpha, x, 1, y, 1)
  }

  public static func blasScale(count: Int, alpha: Double, x: UnsafeMutablePointer<Double>) {
    cblas_dscal(blasInt(count), alpha, x, 1)
  }

  public static func squareRoot(_ x: Double) -> Double { sqrt(x) }
  public static func exponential(_ x: Double) -> Double { exp(x) }
  public static func logarithm(_ x: Double) -> Double { log(x) }
  public static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }
  public static func cosine(_ x: Double) -> Double { cos(x) }
  public static func sine(_ x: Double) -> Double { sin(x) }
  public static func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
}
