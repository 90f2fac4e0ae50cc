import CKernels
import TensorCore

/// A Monarch matrix `M = Π_out · blockdiag(w2) · Π_mid · blockdiag(w1)`, stored as its two block-diagonal
/// factors in the layout of the PyTorch reference `blockdiag_butterfly_multiply(x, w1, w2)`.
///
/// `w1` has shape `(k, q, p)` and `w2` shape `(l, s, r)` (see ``MonarchLayout``). Entry by entry,
///
/// ```
/// M[ss·l + ll, kk·p + pp] = Σ_{t = kk·q + qq = rr·l + ll} w2[ll, ss, rr] · w1[kk, qq, pp]
/// ```
///
/// Rows are applied in the `nn.Linear` convention `y = x Mᵀ`, so factors move between this type and PyTorch
/// without reshuffling.
///
/// ```swift
/// let layout = try MonarchLayout(inFeatures: 64, outFeatures: 64, blocks: 8)   // ρ = 1: the square class
/// var generator = SeededGenerator(seed: 1)
/// let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
/// let y = try m.multiply(x)                // x: (batch, 64) → y: (batch, 64)
/// ```
public struct MonarchMatrix<Scalar: TensorScalar>: Sendable, Equatable {
  /// The shape parameters.
  public let layout: MonarchLayout
  /// The first factor, shape `(k, q, p)`.
  public let w1: Tensor<Scalar>
  /// The second factor, shape `(l, s, r)`.
  public let w2: Tensor<Scalar>
  /// The factors packed for the `Float` forward kernels, filled by the first multiply that uses them and shared
  /// by every copy of this value (the factors never change).
  let packedForward = PackedForwardCache()

  /// Creates a Monarch matrix from its factors.
  ///
  /// - Parameters:
  ///   - layout: The shape parameters; the factors must have its factor shapes.
  ///   - w1: The first factor, shape `(k, q, p)`.
  ///   - w2: The second factor, shape `(l, s, r)`.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` naming the factor whose shape is
  ///   wrong, or ``MonarchError/nonFinite(argument:index:value:)`` naming the factor that holds NaN or infinity.
  public init(layout: MonarchLayout, w1: Tensor<Scalar>, w2: Tensor<Scalar>) throws {
    for (name, factor, shape) in [("w1", w1, layout.firstFactorShape), ("w2", w2, layout.secondFactorShape)] {
      guard factor.shape == shape else {
        throw MonarchError.shapeMismatch(argument: "factor \(name)", shape: factor.shape, expected: "\(shape) for \(layout)")
      }
      if let index = factor.scalars.firstIndex(where: { !$0.isFinite }) {
        throw MonarchError.nonFinite(argument: "factor \(name)", index: index, value: Double(factor.scalars[index]))
      }
    }
    self.layout = layout
    self.w1 = w1
    self.w2 = w2
  }

  /// Creates a Monarch matrix from factors of any chaining shapes `(k, q, p)` and `(l, s, r)`.
  ///
  /// - Parameters:
  ///   - w1: The first factor.
  ///   - w2: The second factor.
  ///   - inFeatures: The unpadded input width (default `k·p`).
  ///   - outFeatures: The unpadded output width (default `l·s`).
  /// - Throws: ``MonarchError`` when the factors are not 3-D, do not chain (`k·q ≠ l·r`), have sizes out of
  ///   range, or hold NaN.
  public init(w1: Tensor<Scalar>, w2: Tensor<Scalar>, inFeatures: Int? = nil, outFeatures: Int? = nil) throws {
    for (name, factor) in [("w1", w1), ("w2", w2)] where factor.rank != 3 {
      throw MonarchError.shapeMismatch(argument: "factor \(name)", shape: factor.shape, expected: "a 3-D shape")
    }
    let layout = try MonarchLayout(
      inFeatures: try inFeatures ?? MonarchLayout.product(w1.shape[0], w1.shape[2], field: "k·p of w1 \(w1.shape)"),
      outFeatures: try outFeatures ?? MonarchLayout.product(w2.shape[0], w2.shape[1], field: "l·s of w2 \(w2.shape)"),
      inBlocks: w1.shape[0], outBlocks: w2.shape[0], firstBlockRows: w1.shape[1], secondBlockColumns: w2.shape[2])
    try self.init(layout: layout, w1: w1, w2: w2)
  }

  init(validated layout: MonarchLayout, w1: Tensor<Scalar>, w2: Tensor<Scalar>) {
    self.layout = layout
    self.w1 = w1
    self.w2 = w2
  }

  /// A Monarch matrix with independent normal factors, each scaled by `1/√fan-in` of its blocks; the padded
  /// columns of `w1` are zero.
  ///
  /// - Parameters:
  ///   - layout: The shape parameters.
  ///   - generator: The source of randomness.
  public static func random(layout: MonarchLayout, using generator: inout SeededGenerator) -> MonarchMatrix {
    let p = layout.inBlockSize
    var w1 = Tensor<Scalar>.normal(
      shape: layout.firstFactorShape, standardDeviation: 1 / Scalar(p).squareRoot(), using: &generator)
    for index in 0..<w1.count where (index / (layout.firstBlockRows * p)) * p + index % p >= layout.inFeatures {
      w1.scalars[index] = 0
    }
    let w2 = Tensor<Scalar>.normal(
      shape: layout.secondFactorShape, standardDeviation: 1 / Scalar(layout.secondBlockColumns).squareRoot(),
      using: &generator)
    return MonarchMatrix(validated: layout, w1: w1, w2: w2)
  }

  /// Whether two matrices have the same layout and factors.
  ///
  /// - Parameters:
  ///   - lhs: A matrix.
  ///   - rhs: Another matrix.
  /// - Returns: `true` when the layouts and both factors are equal, element by element.
  public static func == (lhs: MonarchMatrix, rhs: MonarchMatrix) -> Bool {
    lhs.layout == rhs.layout && lhs.w1 == rhs.w1 && lhs.w2 == rhs.w2
  }

  /// The number of stored parameters.
  public var parameterCount: Int { layout.parameterCount }

  /// Runs `body` with a view of the factors for the kernels that read them in place.
  func withFactorsView<R>(_ body: (MonarchFactorsView<Scalar>) -> R) -> R {
    w1.scalars.withUnsafeBufferPointer { p1 in
      w2.scalars.withUnsafeBufferPointer { p2 in body(MonarchFactorsView(validated: layout, w1: p1, w2: p2)) }
    }
  }

  /// The batch size of rows `x` of shape `(batch, width)`.
  ///
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` naming `argument` when `x` is not a
  ///   matrix with `width` columns.
  func checkRows(_ x: Tensor<Scalar>, width: Int, argument: String) throws -> Int {
    guard x.rank == 2, x.shape[1] == width else {
      throw MonarchError.shapeMismatch(argument: argument, shape: x.shape, expected: "(batch, \(width)) for \(layout)")
    }
    return x.shape[0]
  }

  /// The forward multiply `y = x Mᵀ` of a batch of rows.
  ///
  /// Inputs holding NaN or infinity give NaN or infinite outputs in the rows (and only the rows) they reach.
  ///
  /// - Parameter x: Rows of width `inFeatures`, shape `(batch, in)`.
  /// - Returns: Rows of width `outFeatures`, shape `(batch, out)`.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `x` is not `(batch, in)`, or
  ///   ``MonarchError/sizeOverflow(field:detail:)`` when the output would have more than `Int.max` elements.
  /// - Complexity: O(batch·(k·q·p + l·s·r)), spread over all cores; run the BLAS
  ///   single-threaded (`BLASThreads.set(1)`) so the tiles do not compete. `Float` matrices pack the factors
  ///   on the first multiply (lane-packed where the packed kernels cover the layout and the batch has at least
  ///   64 rows, transposed block by block otherwise) and keep them (as much memory again as the factors, per
  ///   form used) for later multiplies by this matrix and its copies.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func multiply(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let batch = try checkRows(x, width: layout.inFeatures, argument: "multiply input")
    let width = layout.outFeatures
    let count = try MonarchLayout.product(batch, width, field: "multiply output")
    // Both paths write every output element, so the output starts uninitialized.
    let scalars = [Scalar](unsafeUninitializedCapacity: count) { y, initialized in
      if let yBase = y.baseAddress { multiply(x, into: yBase) }
      initialized = count
    }
    return Tensor(shape: [batch, width], scalars: scalars)
  }

  /// The forward multiply `y = x Mᵀ` into an existing output, in place (no allocation unless `y`'s storage
  /// is shared with another tensor).
  ///
  /// - Parameters:
  ///   - x: Rows of width `inFeatures`, shape `(batch, in)`.
  ///   - y: Receives the rows of width `outFeatures`; its shape must be `(batch, out)`.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `x` is not `(batch, in)` or `y`
  ///   is not `(batch, out)`; nothing is written then.
  /// - Complexity: See ``multiply(_:)``.
  public func multiply(_ x: Tensor<Scalar>, into y: inout Tensor<Scalar>) throws {
    let batch = try checkRows(x, width: layout.inFeatures, argument: "multiply input")
    guard y.shape == [batch, layout.outFeatures] else {
      throw MonarchError.shapeMismatch(
        argument: "multiply output", shape: y.shape, expected: "[\(batch), \(layout.outFeatures)] for \(layout)")
    }
    y.scalars.withUnsafeMutableBufferPointer { py in
      if let yBase = py.baseAddress { multiply(x, into: yBase) }
    }
  }

  /// `y = x Mᵀ` written to `batch · out` scalars at `y`: `Float` by the lane-packed kernels where they apply and
  /// by the block-product kernel on cached transposed factors elsewhere, `Double` by BLAS.
  private func multiply(_ x: Tensor<Scalar>, into y: UnsafeMutablePointer<Scalar>) {
    // The lane-packed kernels run one tile of rows per core: a batch of fewer than two tiles runs its blocks
    // in parallel on the block-product kernel instead.
    if let matrix = self as? MonarchMatrix<Float>, PackedForward.accepts(layout),
      x.shape[0] >= 2 * PackedForward.tileRows
    {
      x.scalars.withUnsafeBufferPointer { px in
        guard let xBase = px.baseAddress else { return }
        packedForward.packed(for: matrix).multiply(
          UnsafeRawPointer(xBase).assumingMemoryBound(to: Float.self), batch: x.shape[0],
          into: UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), level: sml_cpu_vector_level())
      }
    } else if let matrix = self as? MonarchMatrix<Float> {
      let transposed = packedForward.transposed(for: matrix)
      matrix.withFactorsView { view in
        x.scalars.withUnsafeBufferPointer { px in
          guard let xBase = px.baseAddress else { return }
          view.multiplyByBlockProducts(
            UnsafeRawPointer(xBase).assumingMemoryBound(to: Float.self), batch: x.shape[0], into: UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self),
            transposed: transposed)
        }
      }
    } else {
      multiplyOnFactorsView(x, into: y)
    }
  }

  /// The forward multiply on a view of the factors (see ``MonarchFactorsView``), into a tensor of shape
  /// `(batch, out)`.
  func multiplyOnFactorsView(_ x: Tensor<Scalar>, into y: inout Tensor<Scalar>) {
    y.scalars.withUnsafeMutableBufferPointer { py in
      if let yBase = py.baseAddress { multiplyOnFactorsView(x, into: yBase) }
    }
  }

  /// The forward multiply on a view of the factors, nothing cached: the path for every layout and scalar.
  private func multiplyOnFactorsView(_ x: Tensor<Scalar>, into yBase: UnsafeMutablePointer<Scalar>) {
    withFactorsView { view in
      x.scalars.withUnsafeBufferPointer { px in
        guard let xBase = px.baseAddress else { return }
        view.multiply(xBase, batch: x.shape[0], into: yBase)
      }
    }
  }

  /// The transposed multiply `v = u M` of a batch of rows.
  ///
  /// - Parameter u: Rows of width `outFeatures`, shape `(batch, out)`.
  /// - Returns: Rows of width `inFeatures`, shape `(batch, in)`.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `u` is not `(batch, out)`.
  /// - Complexity: O(batch·(k·q·p + l·s·r)), the blocks of each step on all cores (see
  ///   ``MonarchFactorsView/multiplyTransposed(_:batch:into:)``).
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func multiplyTransposed(_ u: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let batch = try checkRows(u, width: layout.outFeatures, argument: "multiplyTransposed input")
    _ = try MonarchLayout.product(batch, layout.inFeatures, field: "multiplyTransposed output")
    var v = Tensor<Scalar>(zeros: [batch, layout.inFeatures])
    withFactorsView { view in
      u.scalars.withUnsafeBufferPointer { pu in
        v.scalars.withUnsafeMutableBufferPointer { pv in
          guard let uBase = pu.baseAddress, let vBase = pv.baseAddress else { return }
          view.multiplyTransposed(uBase, batch: batch, into: vBase)
        }
      }
    }
    return v
  }

  /// The dense `out × in` matrix, accumulated one middle index (one rank-1 term) at a time.
  ///
  /// - Returns: `M` with `M[ss·l + ll, kk·p + pp] = Σ w2[ll, ss, rr] · w1[kk, qq, pp]` over the middle indices
  ///   `t = kk·q + qq = rr·l + ll`, restricted to the unpadded rows and columns.
  /// - Complexity: O(k·q·s·p).
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func dense() -> Tensor<Scalar> {
    let (inWidth, outWidth) = (layout.inFeatures, layout.outFeatures)
    let (l, p, q, s, r) = (
      layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize, layout.secondBlockColumns
    )
    var m = Tensor<Scalar>(zeros: [outWidth, inWidth])
    w1.scalars.withUnsafeBufferPointer { p1 in
      w2.scalars.withUnsafeBufferPointer { p2 in
        m.scalars.withUnsafeMutableBufferPointer { pm in
          for t in 0..<layout.middleWidth {
            let (kk, qq, ll, rr) = (t / q, t % q, t % l, t / l)
            let columns = min(p, inWidth - kk * p)
            for ss in 0..<s where ss * l + ll < outWidth {
              let left = p2[(ll * s + ss) * r + rr]
              let row = (ss * l + ll) * inWidth + kk * p
              for pp in 0..<columns { pm[row + pp] += left * p1[(kk * q + qq) * p + pp] }
            }
          }
        }
      }
    }
    return m
  }

  /// The rank that each slice `M[ll::l, kk·p ..< (kk+1)·p]` can reach, indexed `[kk][ll]`: the rank users
  /// buy with this layout (see ``MonarchLayout/sliceRanks``).
  public var sliceRanks: [[Int]] { layout.sliceRanks }
}
