import CKernels
import TensorCore

/// Borrowed Monarch factors in their storage layout, for callers that keep `w1` and `w2` in memory of their
/// own (a training stack's flat parameter buffer) and change them every step.
///
/// The forward multiply, the transposed multiply and the gradients read both factors in place, in the layout
/// of ``MonarchMatrix`` (`w1: (k, q, p)`, `w2: (l, s, r)`, row-major): no copy into tensors, no scan for NaN
/// and no packing that outlives a call. Creating a view checks the two buffer lengths against the layout and
/// nothing else, so a step that changes the factors pays only for the products.
///
/// Every operation works on whole batches, one product per block with the Monarch permutations folded into
/// the strides; the only copies are the two permutations of the batch's middle and outer activations
/// (O(batch·width) each). `Float` views run every layout on the C block-product kernels (vectorized, any block
/// size, the forward on a transposed copy of the factors made per call or, for a few rows, on the factors as
/// stored); other scalars run one BLAS GEMM per block. The blocks of each step (and, when the blocks alone
/// would leave a core idle, the rows of each block) run on all cores once the step is large enough; run the
/// BLAS single-threaded (`BLASThreads.set(1)`) so that they do not compete.
///
/// ```swift
/// let view = try MonarchFactorsView(layout: layout, w1: w1Buffer, w2: w2Buffer)
/// view.multiply(x, batch: 32, into: y)                                  // y = x Mᵀ
/// view.gradients(input: x, outputGradient: dy, batch: 32, inputGradient: dx,
///                w1Gradient: dw1, w2Gradient: dw2, accumulate: true)    // dw += ∂L/∂w
/// ```
public struct MonarchFactorsView<Scalar: TensorScalar> {
  /// The shape parameters.
  public let layout: MonarchLayout
  /// The first factor, `k·q·p` scalars in the order `(k, q, p)`.
  public let w1: UnsafeBufferPointer<Scalar>
  /// The second factor, `l·s·r` scalars in the order `(l, s, r)`.
  public let w2: UnsafeBufferPointer<Scalar>

  /// Creates a view of two factor buffers.
  ///
  /// - Parameters:
  ///   - layout: The shape parameters (already validated by its initializer).
  ///   - w1: `k·q·p` scalars of the first factor.
  ///   - w2: `l·s·r` scalars of the second factor.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` naming the factor whose length does not fit
  ///   `layout`.
  /// - Complexity: O(1): the values are not read.
  public init(layout: MonarchLayout, w1: UnsafeBufferPointer<Scalar>, w2: UnsafeBufferPointer<Scalar>) throws {
    for (name, buffer, shape) in [("w1", w1, layout.firstFactorShape), ("w2", w2, layout.secondFactorShape)] {
      let expected = shape.reduce(1, *)
      guard buffer.count == expected, buffer.baseAddress != nil else {
        throw MonarchError.shapeMismatch(
          argument: "factor \(name)", shape: [buffer.count],
          expected: "\(expected) scalars (shape \(shape)) for \(layout)")
      }
    }
    self.init(validated: layout, w1: w1, w2: w2)
  }

  /// A view of buffers whose lengths are known to fit `layout`.
  init(validated layout: MonarchLayout, w1: UnsafeBufferPointer<Scalar>, w2: UnsafeBufferPointer<Scalar>) {
    self.layout = layout
    self.w1 = w1
    self.w2 = w2
  }

  // The layout's sizes under the names of the Monarch notes (k, l, p, q, s, r), for the kernels of this type
  // and of its Float block-product extension.
  var k: Int { layout.inBlocks }
  var l: Int { layout.outBlocks }
  var p: Int { layout.inBlockSize }
  var q: Int { layout.firstBlockRows }
  var s: Int { layout.outBlockSize }
  var r: Int { layout.secondBlockColumns }
  var middle: Int { layout.middleWidth }
  var w1Base: UnsafePointer<Scalar> { w1.baseAddress! }
  var w2Base: UnsafePointer<Scalar> { w2.baseAddress! }

  /// The real (unpadded) width of input block `kk`.
  func inWidth(_ kk: Int) -> Int { min(p, layout.inFeatures - kk * p) }

  /// Runs `body` over `0..<count` blocks on all cores when a call's work is worth a task switch (about
  /// 10⁵ multiply-adds), on the calling thread otherwise.
  private func blocksInParallel(_ count: Int, batch: Int, _ body: (Range<Int>) -> Void) {
    if batch * layout.parameterCount < 1 << 17 {
      body(0..<count)
    } else {
      parallelFor(count, body)
    }
  }

  /// Runs `body` over the batch rows on all cores when the batch is large enough to pay for it and
  /// `inParallel` allows it (a caller that already runs on every core passes `false`).
  private func rowsInParallel(_ batch: Int, inParallel: Bool, _ body: (Range<Int>) -> Void) {
    guard inParallel else { return body(0..<batch) }
    parallelFor(batch, minimumChunk: max(1, (1 << 16) / max(1, middle)), body)
  }

  // MARK: - Steps

  /// `h[b, kk·q + qq] = Σ_pp w1[kk, qq, pp] · x[b, kk·p + pp]`: one GEMM per block, `h` of width `k·q`.
  /// - Complexity: O(batch·k·q·p).
  private func firstFactor(_ x: UnsafePointer<Scalar>, batch: Int, into h: UnsafeMutablePointer<Scalar>) {
    blocksInParallel(k, batch: batch) { blocks in
      for kk in blocks {
        gemm(
          MatrixView(x + kk * p, rows: batch, columns: inWidth(kk), leadingDimension: layout.inFeatures),
          MatrixView(w1Base + kk * q * p, rows: q, columns: inWidth(kk), leadingDimension: p),
          MutableMatrixView(h + kk * q, rows: batch, columns: q, leadingDimension: middle), transposeB: true)
      }
    }
  }

  /// `v[b, kk·p + pp] = Σ_qq w1[kk, qq, pp] · h[b, kk·q + qq]`: the first factor transposed.
  /// - Complexity: O(batch·k·q·p).
  private func firstFactorTransposed(_ h: UnsafePointer<Scalar>, batch: Int, into v: UnsafeMutablePointer<Scalar>) {
    blocksInParallel(k, batch: batch) { blocks in
      for kk in blocks {
        gemm(
          MatrixView(h + kk * q, rows: batch, columns: q, leadingDimension: middle),
          MatrixView(w1Base + kk * q * p, rows: q, columns: inWidth(kk), leadingDimension: p),
          MutableMatrixView(v + kk * p, rows: batch, columns: inWidth(kk), leadingDimension: layout.inFeatures))
      }
    }
  }

  /// `z[b, ll, ss] = Σ_rr w2[ll, ss, rr] · g[b, ll, rr]`, `g` and `z` both block-major within a row.
  /// - Complexity: O(batch·l·s·r).
  private func secondFactor(_ g: UnsafePointer<Scalar>, batch: Int, into z: UnsafeMutablePointer<Scalar>) {
    blocksInParallel(l, batch: batch) { blocks in
      for ll in blocks {
        gemm(
          MatrixView(g + ll * r, rows: batch, columns: r, leadingDimension: middle),
          MatrixView(w2Base + ll * s * r, rows: s, columns: r),
          MutableMatrixView(z + ll * s, rows: batch, columns: s, leadingDimension: l * s), transposeB: true)
      }
    }
  }

  /// `g[b, ll, rr] = Σ_ss w2[ll, ss, rr] · z[b, ll, ss]`: the second factor transposed.
  /// - Complexity: O(batch·l·s·r).
  private func secondFactorTransposed(_ z: UnsafePointer<Scalar>, batch: Int, into g: UnsafeMutablePointer<Scalar>) {
    blocksInParallel(l, batch: batch) { blocks in
      for ll in blocks {
        gemm(
          MatrixView(z + ll * s, rows: batch, columns: s, leadingDimension: l * s),
          MatrixView(w2Base + ll * s * r, rows: s, columns: r),
          MutableMatrixView(g + ll * r, rows: batch, columns: r, leadingDimension: middle))
      }
    }
  }

  /// `g[b, ll, rr] = h[b, rr·l + ll]` (`inverse == false`) or the other way round: the middle permutation.
  /// - Complexity: O(batch·k·q).
  func permuteMiddle(
    _ source: UnsafePointer<Scalar>, batch: Int, into target: UnsafeMutablePointer<Scalar>, inverse: Bool,
    inParallel: Bool = true
  ) {
    let (l, r, middle) = (self.l, self.r, self.middle)
    rowsInParallel(batch, inParallel: inParallel) { rows in
      for b in rows {
        let (from, to) = (source + b * middle, target + b * middle)
        if inverse {
          transposeCopy(from, rows: l, columns: r, sourceStride: r, into: to, targetStride: l)
        } else {
          transposeCopy(from, rows: r, columns: l, sourceStride: l, into: to, targetStride: r)
        }
      }
    }
  }

  /// `y[b, ss·l + ll] = z[b, ll, ss]` for the unpadded outputs: the output permutation.
  /// - Complexity: O(batch·l·s).
  func scatterOutput(
    _ z: UnsafePointer<Scalar>, batch: Int, into y: UnsafeMutablePointer<Scalar>, inParallel: Bool = true
  ) {
    let (l, s, out) = (self.l, self.s, layout.outFeatures)
    rowsInParallel(batch, inParallel: inParallel) { rows in
      for b in rows {
        let (from, to) = (z + b * l * s, y + b * out)
        guard out < l * s else {
          transposeCopy(from, rows: l, columns: s, sourceStride: s, into: to, targetStride: l)
          continue
        }
        for ll in 0..<l {
          for ss in 0..<s where ss * l + ll < out { to[ss * l + ll] = from[ll * s + ss] }
        }
      }
    }
  }

  /// `z[b, ll, ss] = u[b, ss·l + ll]`, zero for the padded outputs: the output permutation inverted.
  /// - Complexity: O(batch·l·s).
  func gatherOutput(
    _ u: UnsafePointer<Scalar>, batch: Int, into z: UnsafeMutablePointer<Scalar>, inParallel: Bool = true
  ) {
    let (l, s, out) = (self.l, self.s, layout.outFeatures)
    rowsInParallel(batch, inParallel: inParallel) { rows in
      for b in rows {
        let (from, to) = (u + b * out, z + b * l * s)
        guard out < l * s else {
          transposeCopy(from, rows: s, columns: l, sourceStride: l, into: to, targetStride: s)
          continue
        }
        for ll in 0..<l {
          for ss in 0..<s { to[ll * s + ss] = ss * l + ll < out ? from[ss * l + ll] : 0 }
        }
      }
    }
  }

  /// `pointer` as `Float`, for the `Float` kernels (only called when `Scalar` is `Float`).
  private func float(_ pointer: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
    UnsafeRawPointer(pointer).assumingMemoryBound(to: Float.self)
  }

  /// `pointer` as `Float`, for the `Float` kernels (only called when `Scalar` is `Float`).
  private func float(_ pointer: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Float.self)
  }

  /// Scratch memory of `count` scalars for one call, from the shared ``ScratchPool`` (given back when `body`
  /// returns).
  func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Scalar>) -> R) -> R {
    ScratchPool.shared.withBuffer(bytes: max(1, count) * MemoryLayout<Scalar>.stride) { raw in
      body(raw.bindMemory(to: Scalar.self, capacity: max(1, count)))
    }
  }

  // MARK: - Operations

  /// The forward multiply `y = x Mᵀ` of `batch` rows.
  ///
  /// - Parameters:
  ///   - x: `batch` rows of `inFeatures` scalars.
  ///   - batch: The number of rows.
  ///   - y: Receives `batch` rows of `outFeatures` scalars.
  /// - Complexity: O(batch·(k·q·p + l·s·r)).
  public func multiply(_ x: UnsafePointer<Scalar>, batch: Int, into y: UnsafeMutablePointer<Scalar>) {
    guard batch > 0 else { return }
    if let view = self as? MonarchFactorsView<Float> {
      view.multiplyByBlockProducts(float(x), batch: batch, into: float(y))
      return
    }
    let width = batch * middle
    withScratch(2 * width + batch * l * s) { scratch in
      let (h, g, z) = (scratch, scratch + width, scratch + 2 * width)
      firstFactor(x, batch: batch, into: h)
      permuteMiddle(h, batch: batch, into: g, inverse: false)
      secondFactor(g, batch: batch, into: z)
      scatterOutput(z, batch: batch, into: y)
    }
  }

  /// The transposed multiply `v = u M` of `batch` rows: the input gradient of ``multiply(_:batch:into:)``.
  ///
  /// - Parameters:
  ///   - u: `batch` rows of `outFeatures` scalars.
  ///   - batch: The number of rows.
  ///   - v: Receives `batch` rows of `inFeatures` scalars.
  /// - Complexity: O(batch·(k·q·p + l·s·r)).
  public func multiplyTransposed(_ u: UnsafePointer<Scalar>, batch: Int, into v: UnsafeMutablePointer<Scalar>) {
    guard batch > 0 else { return }
    if let view = self as? MonarchFactorsView<Float> {
      view.multiplyTransposedByBlockProducts(float(u), batch: batch, into: float(v))
      return
    }
    let width = batch * middle
    withScratch(2 * width + batch * l * s) { scratch in
      let (g, h, z) = (scratch, scratch + width, scratch + 2 * width)
      gatherOutput(u, batch: batch, into: z)
      secondFactorTransposed(z, batch: batch, into: g)
      permuteMiddle(g, batch: batch, into: h, inverse: true)
      firstFactorTransposed(h, batch: batch, into: v)
    }
  }

  /// The backward pass of ``multiply(_:batch:into:)``: whichever of the input gradient and the two factor
  /// gradients are asked for, and no work for the others.
  ///
  /// With `g` the permuted middle activation (recomputed from `x`) and `dz` the permuted output gradient:
  ///
  /// ```
  /// dw2[ll, ss, rr] = Σ_b dz[b, ll, ss] · g[b, ll, rr]
  /// dg[b, ll, rr]   = Σ_ss w2[ll, ss, rr] · dz[b, ll, ss],   dh[b, rr·l + ll] = dg[b, ll, rr]
  /// dw1[kk, qq, pp] = Σ_b dh[b, kk·q + qq] · x[b, kk·p + pp]
  /// dx[b, kk·p + pp] = Σ_qq w1[kk, qq, pp] · dh[b, kk·q + qq]
  /// ```
  ///
  /// - Parameters:
  ///   - x: The forward input, `batch` rows of `inFeatures` scalars (read only for the factor gradients).
  ///   - dy: `∂L/∂y`, `batch` rows of `outFeatures` scalars.
  ///   - batch: The number of rows.
  ///   - dx: Receives `∂L/∂x` (`batch` rows of `inFeatures`), or `nil` to skip it.
  ///   - dw1: Receives `∂L/∂w1` (`k·q·p` scalars; the padded columns are zero), or `nil`.
  ///   - dw2: Receives `∂L/∂w2` (`l·s·r` scalars), or `nil`.
  ///   - accumulate: Whether the factor gradients are added to the buffers' contents (gradient accumulation)
  ///     instead of replacing them.
  /// - Complexity: O(batch·(k·q·p + l·s·r)) per gradient asked for, plus a forward first step for the factor
  ///   gradients.
  public func gradients(
    input x: UnsafePointer<Scalar>, outputGradient dy: UnsafePointer<Scalar>, batch: Int,
    inputGradient dx: UnsafeMutablePointer<Scalar>?, w1Gradient dw1: UnsafeMutablePointer<Scalar>?,
    w2Gradient dw2: UnsafeMutablePointer<Scalar>?, accumulate: Bool = false
  ) {
    if let view = self as? MonarchFactorsView<Float>, batch > 0 {
      // The kernels write every element of dw2 and the unpadded columns of dw1.
      if !accumulate && layout.inFeatures != layout.paddedInFeatures { dw1?.update(repeating: 0, count: w1.count) }
      view.gradientsByBlockProducts(
        input: float(x), outputGradient: float(dy), batch: batch, inputGradient: dx.map { float($0) },
        w1Gradient: dw1.map { float($0) }, w2Gradient: dw2.map { float($0) }, accumulate: accumulate)
      return
    }
    if !accumulate {
      dw1?.update(repeating: 0, count: w1.count)
      dw2?.update(repeating: 0, count: w2.count)
    }
    guard batch > 0 else { return }
    let width = batch * middle
    let beta: Scalar = accumulate ? 1 : 0
    withScratch(2 * width + batch * l * s) { scratch in
      let (first, second, dz) = (scratch, scratch + width, scratch + 2 * width)
      gatherOutput(dy, batch: batch, into: dz)
      if let dw2 {
        // first = h, second = g.
        firstFactor(x, batch: batch, into: first)
        permuteMiddle(first, batch: batch, into: second, inverse: false)
        blocksInParallel(l, batch: batch) { blocks in
          for ll in blocks {
            gemm(
              MatrixView(dz + ll * s, rows: batch, columns: s, leadingDimension: l * s),
              MatrixView(second + ll * r, rows: batch, columns: r, leadingDimension: middle),
              MutableMatrixView(dw2 + ll * s * r, rows: s, columns: r), transposeA: true, beta: beta)
          }
        }
      }
      guard dw1 != nil || dx != nil else { return }
      // second = dg, first = dh.
      secondFactorTransposed(dz, batch: batch, into: second)
      permuteMiddle(second, batch: batch, into: first, inverse: true)
      if let dw1 {
        blocksInParallel(k, batch: batch) { blocks in
          for kk in blocks {
            gemm(
              MatrixView(first + kk * q, rows: batch, columns: q, leadingDimension: middle),
              MatrixView(x + kk * p, rows: batch, columns: inWidth(kk), leadingDimension: layout.inFeatures),
              MutableMatrixView(dw1 + kk * q * p, rows: q, columns: inWidth(kk), leadingDimension: p),
              transposeA: true, beta: beta)
          }
        }
      }
      if let dx { firstFactorTransposed(first, batch: batch, into: dx) }
    }
  }
}
