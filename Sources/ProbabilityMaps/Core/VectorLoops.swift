/// Vectorised loops over one row, shared by every map: 16 lanes at a time, then a scalar tail.
///
/// The loops are generic and marked `@specialized` for `Float` and `Double`, so calls from unspecialised
/// generic code still reach code compiled for the concrete type.
enum VectorLoops {
  /// The vector width of every loop.
  static let width = 16

  @inline(__always)
  static func load<S: ProbabilityScalar>(_ base: UnsafePointer<S>, _ index: Int) -> SIMD16<S> {
    UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<S>.self)
  }

  @inline(__always)
  static func store<S: ProbabilityScalar>(_ value: SIMD16<S>, _ base: UnsafeMutablePointer<S>, _ index: Int) {
    UnsafeMutableRawPointer(base + index).storeBytes(of: value, as: SIMD16<S>.self)
  }

  /// The largest element of a row and whether the row is invalid (holds a NaN or `+inf`).
  ///
  /// NaN never compares greater, so the maximum ignores it; the running sum catches it instead.
  /// - Complexity: O(n).
  @specialized(where S == Float)
  @specialized(where S == Double)
  static func scan<S: ProbabilityScalar>(_ x: UnsafeBufferPointer<S>) -> (maximum: S, isInvalid: Bool) {
    let base = x.baseAddress!
    var maxima = SIMD16<S>(repeating: -.infinity)
    var sums = SIMD16<S>()
    var i = 0
    while i + width <= x.count {
      let v = load(base, i)
      maxima = pointwiseMax(maxima, v)
      sums += v
      i += width
    }
    var maximum = maxima.max()
    var sum = sums.sum()
    while i < x.count {
      if x[i] > maximum { maximum = x[i] }
      sum += x[i]
      i += 1
    }
    return (maximum, sum.isNaN || maximum == .infinity)
  }

  /// Writes `e^{(x − shift)·scale}` to `out` and returns the sum of what it wrote.
  ///
  /// - Complexity: O(n) vectorised exponentials.
  @specialized(where S == Float)
  @specialized(where S == Double)
  static func exponentials<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, shift: S, scale: S, into out: UnsafeMutableBufferPointer<S>
  ) -> S {
    let (source, target) = (x.baseAddress!, out.baseAddress!)
    var sums = SIMD16<S>()
    var i = 0
    while i + width <= x.count {
      let e = S.exponentials((load(source, i) - shift) * scale)
      store(e, target, i)
      sums += e
      i += width
    }
    var sum = sums.sum()
    if i < x.count {
      var tail = SIMD16<S>(repeating: -.infinity)
      for j in i..<x.count { tail[j - i] = (x[j] - shift) * scale }
      let e = S.exponentials(tail)
      for j in i..<x.count {
        out[j] = e[j - i]
        sum += e[j - i]
      }
    }
    return sum
  }

  /// Multiplies every element of `buffer` by `factor`.
  ///
  /// - Complexity: O(n).
  @specialized(where S == Float)
  @specialized(where S == Double)
  static func scale<S: ProbabilityScalar>(_ buffer: UnsafeMutableBufferPointer<S>, by factor: S) {
    let base = buffer.baseAddress!
    var i = 0
    while i + width <= buffer.count {
      store(load(base, i) * factor, base, i)
      i += width
    }
    while i < buffer.count {
      buffer[i] *= factor
      i += 1
    }
  }

  /// The inner product `Σ aᵢ·bᵢ`.
  ///
  /// - Complexity: O(n).
  @specialized(where S == Float)
  @specialized(where S == Double)
  static func dot<S: ProbabilityScalar>(_ a: UnsafeBufferPointer<S>, _ b: UnsafeBufferPointer<S>) -> S {
    let (pa, pb) = (a.baseAddress!, b.baseAddress!)
    var sums = SIMD16<S>()
    var i = 0
    while i + width <= a.count {
      sums += load(pa, i) * load(pb, i)
      i += width
    }
    var sum = sums.sum()
    while i < a.count {
      sum += a[i] * b[i]
      i += 1
    }
    return sum
  }

  /// The sum of the elements.
  ///
  /// - Complexity: O(n).
  @specialized(where S == Float)
  @specialized(where S == Double)
  static func sum<S: ProbabilityScalar>(_ a: UnsafeBufferPointer<S>) -> S {
    let base = a.baseAddress!
    var sums = SIMD16<S>()
    var i = 0
    while i + width <= a.count {
      sums += load(base, i)
      i += width
    }
    var sum = sums.sum()
    while i < a.count {
      sum += a[i]
      i += 1
    }
    return sum
  }

  /// Writes `max((x − center)·scale − threshold, 0)`, squared when `squared` (1.5-entmax) and as is otherwise
  /// (sparsemax). Subtracting the row maximum first keeps the result exact for large scores.
  ///
  /// - Complexity: O(n).
  @specialized(where S == Float)
  @specialized(where S == Double)
  static func truncatedPower<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, center: S, scale: S, threshold: S, squared: Bool,
    into out: UnsafeMutableBufferPointer<S>
  ) {
    let (source, target) = (x.baseAddress!, out.baseAddress!)
    let zero = SIMD16<S>()
    var i = 0
    while i + width <= x.count {
      var v = (load(source, i) - center) * scale - threshold
      v.replace(with: zero, where: .!(v .> zero))
      if squared { v *= v }
      store(v, target, i)
      i += width
    }
    while i < x.count {
      let v = (x[i] - center) * scale - threshold
      out[i] = v > 0 ? (squared ? v * v : v) : 0
      i += 1
    }
  }

  /// The family backward `g ⊙ (v − ⟨g, v⟩/Σg)` from weights `g` already stored in `out`.
  ///
  /// Every map of the entmax family (softmax `g = p`, sparsemax `g = 1_S`, 1.5-entmax `g = √p`,
  /// α-entmax `g = p^{2−α}`) has this symmetric Jacobian. A row whose weights sum to 0 gets 0.
  /// - Complexity: O(n).
  @specialized(where S == Float)
  @specialized(where S == Double)
  static func weightedCentering<S: ProbabilityScalar>(
    weightsIn out: UnsafeMutableBufferPointer<S>, gradient v: UnsafeBufferPointer<S>, factor: S
  ) {
    let weights = UnsafeBufferPointer(out)
    let total = sum(weights)
    guard total > 0 else {
      out.update(repeating: 0)
      return
    }
    let mean = dot(weights, v) / total
    let (g, source) = (out.baseAddress!, v.baseAddress!)
    var i = 0
    while i + width <= out.count {
      store(load(g, i) * (load(source, i) - mean) * factor, g, i)
      i += width
    }
    while i < out.count {
      out[i] = out[i] * (v[i] - mean) * factor
      i += 1
    }
  }
}
