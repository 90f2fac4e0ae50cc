#if canImport(Accelerate)
  import Accelerate
  /// The integer type of the BLAS/LAPACK interface on this platform.
  public typealias BLASInteger = __LAPACK_int
#else
  import CBLAS
  /// The integer type of the BLAS/LAPACK interface on this platform (OpenBLAS LP64: 32 bits).
  public typealias BLASInteger = Int32
#endif

/// Converts a dimension to the BLAS integer type, stopping with a clear message if it does not fit.
@inlinable
func blasInt(_ value: Int) -> BLASInteger {
  guard let converted = BLASInteger(exactly: value) else {
    preconditionFailure("BLAS: dimension \(value) does not fit the 32-bit BLAS integer type")
  }
  return converted
}

/// Thread control for the BLAS back end.
public enum BLASThreads {
  /// Sets how many threads the BLAS uses for each call (OpenBLAS; a no-op on Accelerate).
  ///
  /// Kernels that parallelize themselves with ``parallelFor(_:minimumChunk:_:)`` should run the BLAS
  /// with one thread; large single GEMMs want one thread per core.
  public static func set(_ count: Int) {
    #if !canImport(Accelerate)
      openblas_set_num_threads(Int32(max(1, count)))
    #endif
  }

  /// The number of threads the BLAS uses now.
  public static var current: Int {
    #if canImport(Accelerate)
      return 1
    #else
      return Int(openblas_get_num_threads())
    #endif
  }

  /// The back end's build description (OpenBLAS core type and options), for benchmark reports.
  public static var configuration: String {
    #if canImport(Accelerate)
      return "Accelerate"
    #else
      guard let config = openblas_get_config() else { return "OpenBLAS" }
      return String(cString: config)
    #endif
  }
}
