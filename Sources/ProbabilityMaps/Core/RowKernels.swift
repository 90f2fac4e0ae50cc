import CKernels

/// The row kernels of the C module `CKernels` for the element type of a generic map.
///
/// Every kernel exists for `float` and `double` and is compiled for baseline x86-64, AVX2+FMA and AVX-512 with
/// the variant chosen per call by its `level` argument; these wrappers pick the element type (a branch that
/// specialisation removes) and always ask for the widest variant the processor has.
enum RowKernels {
  /// The vector level passed to every kernel: the widest this processor supports.
  @inline(__always)
  private static var level: Int32 { sml_cpu_vector_level() }

  /// Whether `S` is `Float`; the only other ``ProbabilityScalar`` is `Double`.
  @inline(__always)
  private static func isFloat<S: ProbabilityScalar>(_ type: S.Type) -> Bool {
    if S.self == Float.self { return true }
    precondition(S.self == Double.self, "ProbabilityMaps kernels run on Float or Double only")
    return false
  }

  @inline(__always)
  private static func pointer<S, T>(_ buffer: UnsafeBufferPointer<S>) -> UnsafePointer<T> {
    UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: T.self)
  }

  @inline(__always)
  private static func pointer<S, T>(_ buffer: UnsafeMutableBufferPointer<S>) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: T.self)
  }

  @inline(__always)
  private static func cast<S, T>(_ value: S) -> T { unsafeBitCast(value, to: T.self) }

  /// `out[i] = e^{x[i]}`.
  static func exponentials<S: ProbabilityScalar>(_ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>) {
    if isFloat(S.self) {
      sml_exp_f(pointer(x), pointer(out), x.count, level)
    } else {
      sml_exp_d(pointer(x), pointer(out), x.count, level)
    }
  }

  /// The largest element of a row and whether the row is invalid (holds a NaN or `+inf`).
  static func maximum<S: ProbabilityScalar>(_ x: UnsafeBufferPointer<S>) -> (maximum: S, isInvalid: Bool) {
    var invalid: Int32 = 0
    let maximum: S =
      isFloat(S.self)
      ? cast(sml_row_max_f(pointer(x), x.count, &invalid, level))
      : cast(sml_row_max_d(pointer(x), x.count, &invalid, level))
    return (maximum, invalid != 0)
  }

  /// Writes `e^{(x − shift)·scale}` to `out` and returns the sum of what it wrote.
  static func exponentialSum<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, shift: S, scale: S, into out: UnsafeMutableBufferPointer<S>
  ) -> S {
    isFloat(S.self)
      ? cast(sml_exp_sum_f(pointer(x), pointer(out), x.count, cast(shift), cast(scale), level))
      : cast(sml_exp_sum_d(pointer(x), pointer(out), x.count, cast(shift), cast(scale), level))
  }

  /// Multiplies every element of `buffer` by `factor`.
  static func scale<S: ProbabilityScalar>(_ buffer: UnsafeMutableBufferPointer<S>, by factor: S) {
    if isFloat(S.self) {
      sml_scale_f(pointer(buffer), buffer.count, cast(factor), level)
    } else {
      sml_scale_d(pointer(buffer), buffer.count, cast(factor), level)
    }
  }

  /// The sum of the elements.
  static func sum<S: ProbabilityScalar>(_ x: UnsafeBufferPointer<S>) -> S {
    isFloat(S.self) ? cast(sml_sum_f(pointer(x), x.count, level)) : cast(sml_sum_d(pointer(x), x.count, level))
  }

  /// The inner product `Σ aᵢ·bᵢ`.
  static func dot<S: ProbabilityScalar>(_ a: UnsafeBufferPointer<S>, _ b: UnsafeBufferPointer<S>) -> S {
    isFloat(S.self)
      ? cast(sml_dot_f(pointer(a), pointer(b), a.count, level))
      : cast(sml_dot_d(pointer(a), pointer(b), a.count, level))
  }

  /// Runs the float or double version of a row kernel `(x, out, n, parameter, level)`.
  @inline(__always)
  private static func row<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>, parameter: S,
    float: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Float, Int32) -> Void,
    double: (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int, Double, Int32) -> Void
  ) {
    if isFloat(S.self) {
      float(pointer(x), pointer(out), x.count, cast(parameter), level)
    } else {
      double(pointer(x), pointer(out), x.count, cast(parameter), level)
    }
  }

  /// The softmax of one row at inverse temperature `1/T` (NaN for an invalid row, zeros for an all-`-inf` one).
  static func softmax<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, inverseTemperature: S, into out: UnsafeMutableBufferPointer<S>
  ) {
    row(x, into: out, parameter: inverseTemperature, float: sml_softmax_row_f, double: sml_softmax_row_d)
  }

  /// The log-softmax of one row (NaN for an invalid row, `-inf` for an all-`-inf` one).
  static func logSoftmax<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, inverseTemperature: S, into out: UnsafeMutableBufferPointer<S>
  ) {
    row(x, into: out, parameter: inverseTemperature, float: sml_log_softmax_row_f, double: sml_log_softmax_row_d)
  }

  /// The log-softmax backward `(u − e^{log p}·Σu)·factor` of one row, 0 where `log p = -inf`.
  static func logSoftmaxBackward<S: ProbabilityScalar>(
    logProbabilities: UnsafeBufferPointer<S>, gradient u: UnsafeBufferPointer<S>, factor: S,
    into out: UnsafeMutableBufferPointer<S>
  ) {
    if isFloat(S.self) {
      sml_log_softmax_backward_row_f(pointer(logProbabilities), pointer(u), pointer(out), u.count, cast(factor), level)
    } else {
      sml_log_softmax_backward_row_d(pointer(logProbabilities), pointer(u), pointer(out), u.count, cast(factor), level)
    }
  }

  /// Runs the float or double version of a sparse row kernel `(x, out, n, workspace, level)`.
  @inline(__always)
  private static func sparseRow<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>, workspace: UnsafeMutableBufferPointer<Double>,
    float: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, UnsafeMutablePointer<Double>, Int32) -> Void,
    double: (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int, UnsafeMutablePointer<Double>, Int32) -> Void
  ) {
    if isFloat(S.self) {
      float(pointer(x), pointer(out), x.count, workspace.baseAddress!, level)
    } else {
      double(pointer(x), pointer(out), x.count, workspace.baseAddress!, level)
    }
  }

  /// The sparsemax of one row; `workspace` holds at least `x.count` doubles.
  static func sparsemax<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>, workspace: UnsafeMutableBufferPointer<Double>
  ) {
    sparseRow(x, into: out, workspace: workspace, float: sml_sparsemax_row_f, double: sml_sparsemax_row_d)
  }

  /// The 1.5-entmax of one row; `workspace` holds at least `x.count` doubles.
  static func entmax15<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>, workspace: UnsafeMutableBufferPointer<Double>
  ) {
    sparseRow(x, into: out, workspace: workspace, float: sml_entmax15_row_f, double: sml_entmax15_row_d)
  }

  /// The entmax-family backward `g ⊙ (v − ⟨g, v⟩/Σg)·factor` of one row, with `g` derived from `p` as
  /// `weights` says (`p` itself, the support indicator, or `√p`); zeros when `Σg` is not positive. `out` may
  /// alias `p`.
  static func simplexBackward<S: ProbabilityScalar>(
    _ p: UnsafeBufferPointer<S>, gradient v: UnsafeBufferPointer<S>, factor: S, weights: sml_backward_weights,
    into out: UnsafeMutableBufferPointer<S>
  ) {
    if isFloat(S.self) {
      sml_simplex_backward_row_f(pointer(p), pointer(v), pointer(out), p.count, cast(factor), weights, level)
    } else {
      sml_simplex_backward_row_d(pointer(p), pointer(v), pointer(out), p.count, cast(factor), weights, level)
    }
  }
}
