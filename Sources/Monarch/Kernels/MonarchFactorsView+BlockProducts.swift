import CKernels
import TensorCore

/// The `Float` operations of a view on the strided C block product `sml_monarch_gemm_f32`, for every layout.
///
/// Each step of the forward, the transposed multiply and the gradients is one product per block whose left
/// operand is read with arbitrary strides (so the transposed activations of the factor gradients need no
/// copies) and whose right operand is a factor as stored (transposed multiply, `dx`) or a transposed copy
/// made for this call (forward, the middle activation of `dw2`): O(k·q·p + l·s·r) extra work per call,
/// nothing kept. The steps split their blocks, and when the blocks do not divide evenly over the cores also
/// the rows of each product, over all cores once a step has about 2¹⁸ multiply-adds.
extension MonarchFactorsView where Scalar == Float {
  /// The batch rows of one tile of a row-local chain with `scratchPerRow` floats of activations per row.
  ///
  /// Each tile reads both factors once, so factors that do not fit in L2 (more than 2¹⁶ floats) need tall tiles
  /// for their reads to be shared by enough rows: up to 240 rows, in a number of tiles that the cores divide.
  /// Small factors
  /// stay cached anyway, and the tile is sized for its activations instead: as many rows as keep them within
  /// 256 KB, from 12 to 96. Either way a multiple of the 6-row register block.
  func tileRows(batch: Int, scratchPerRow: Int) -> Int {
    if w1.count + w2.count > 1 << 16 {
      let cores = processorCount
      let tiles = cores * ((batch + cores * 240 - 1) / (cores * 240))
      let rows = (batch + tiles - 1) / tiles
      return min(240, max(12, (rows + 5) / 6 * 6))
    }
    return min(96, max(12, (1 << 16) / max(1, scratchPerRow) / 6 * 6))
  }

  /// Runs `body(block, rows)` for `blocks` products of `rows` result rows each: on all cores when `inParallel`
  /// and the step has `multiplyAdds` worth a task switch (about 2¹⁸), on the calling thread otherwise. Each
  /// block's rows are split too when the blocks alone would leave the cores unevenly loaded.
  private func eachBlock(
    _ blocks: Int, rows: Int, multiplyAdds: Int, inParallel: Bool = true, _ body: (Int, Range<Int>) -> Void
  ) {
    guard inParallel, multiplyAdds >= 1 << 18, processorCount > 1 else {
      for block in 0..<blocks { body(block, 0..<rows) }
      return
    }
    let splits = blocks % processorCount == 0 ? 1 : max(1, min(processorCount, rows / 6))
    parallelFor(blocks * splits) { tasks in
      for task in tasks {
        let (block, part) = task.quotientAndRemainder(dividingBy: splits)
        let range = (part * rows / splits)..<((part + 1) * rows / splits)
        if !range.isEmpty { body(block, range) }
      }
    }
  }

  /// Runs a row-local chain over the batch: with at least two tiles (``tileRows(batch:scratchPerRow:)``), the
  /// tiles are spread over all cores, each chain running serially on its tile with `scratchPerRow · tileRows` floats of scratch
  /// (one parallel region per call); a smaller batch is one tile whose steps run their blocks in parallel.
  ///
  /// `body(rows, scratch, inParallel)` runs the chain on rows `rows`.
  private func eachTile(
    batch: Int, scratchPerRow: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>, Bool) -> Void
  ) {
    let tileRows = tileRows(batch: batch, scratchPerRow: scratchPerRow)
    let tiles = (batch + tileRows - 1) / tileRows
    guard tiles >= 2, processorCount > 1 else {
      withScratch(batch * scratchPerRow) { body(0..<batch, $0, true) }
      return
    }
    parallelFor(tiles) { range in
      withScratch(tileRows * scratchPerRow) { scratch in
        for tile in range { body((tile * tileRows)..<min(batch, (tile + 1) * tileRows), scratch, false) }
      }
    }
  }

  /// Rows `rows` of the product `C = A · B` (see `sml_monarch_gemm_f32`): `A[i][t] = a[i·ars + t·acs]`,
  /// `B[t][j] = b[t·ldb + j]`, `C[i][j] = c[i·ldc + j]`, `n` columns and depth `depth`.
  private func product(
    rows: Range<Int>, n: Int, depth: Int, a: UnsafePointer<Float>, ars: Int, acs: Int, b: UnsafePointer<Float>,
    ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
  ) {
    sml_monarch_gemm_f32(
      Int32(rows.count), Int32(n), Int32(depth), a + rows.lowerBound * ars, ars, acs, b, ldb, c + rows.lowerBound * ldc,
      ldc, accumulate ? 1 : 0, sml_cpu_vector_level())
  }

  /// Copies `w1` as `w1t[kk][pp][qq]` and `w2` as `w2t[ll][rr][ss]`: the right operands of the forward steps.
  /// - Complexity: O(k·q·p + l·s·r).
  func transposeFactors(w1t: UnsafeMutablePointer<Float>?, w2t: UnsafeMutablePointer<Float>?) {
    let (k, l, p, q, s, r) = (self.k, self.l, self.p, self.q, self.s, self.r)
    let (w1, w2) = (self.w1.baseAddress!, self.w2.baseAddress!)
    parallelFor(k + l, minimumChunk: max(1, (1 << 16) / max(1, q * p))) { blocks in
      for block in blocks {
        if block < k {
          if let w1t { transposeCopy(w1 + block * q * p, rows: q, columns: p, sourceStride: p, into: w1t + block * p * q, targetStride: q) }
        } else if let w2t {
          let ll = block - k
          transposeCopy(w2 + ll * s * r, rows: s, columns: r, sourceStride: r, into: w2t + ll * r * s, targetStride: s)
        }
      }
    }
  }

  /// `h[b, kk·q + qq] = Σ_pp w1[kk, qq, pp] · x[b, kk·p + pp]` from the transposed first factor.
  /// - Complexity: O(batch·k·q·p).
  private func firstFactor(
    _ x: UnsafePointer<Float>, batch: Int, w1t: UnsafePointer<Float>, into h: UnsafeMutablePointer<Float>,
    inParallel: Bool
  ) {
    let inFeatures = layout.inFeatures
    eachBlock(k, rows: batch, multiplyAdds: batch * k * q * p, inParallel: inParallel) { kk, rows in
      product(
        rows: rows, n: q, depth: inWidth(kk), a: x + kk * p, ars: inFeatures, acs: 1, b: w1t + kk * p * q, ldb: q,
        c: h + kk * q, ldc: middle, accumulate: false)
    }
  }

  /// `g[b, ll·r + rr] = Σ_ss w2[ll, ss, rr] · z[b, ll, ss]`: the second factor transposed, as stored, with
  /// `z[b, ll, ss]` at `z + ll·blockStride + b·rowStride + ss` (`s` and `l·s` for the interleaved layout).
  /// - Complexity: O(batch·l·s·r).
  private func secondFactorTransposed(
    _ z: UnsafePointer<Float>, blockStride: Int, rowStride: Int, batch: Int, into g: UnsafeMutablePointer<Float>,
    inParallel: Bool
  ) {
    let w2 = self.w2.baseAddress!
    eachBlock(l, rows: batch, multiplyAdds: batch * l * s * r, inParallel: inParallel) { ll, rows in
      product(
        rows: rows, n: r, depth: s, a: z + ll * blockStride, ars: rowStride, acs: 1, b: w2 + ll * s * r, ldb: r,
        c: g + ll * r, ldc: middle, accumulate: false)
    }
  }

  /// `v[b, kk·p + pp] = Σ_qq w1[kk, qq, pp] · h[b, kk, qq]`: the first factor transposed, as stored, with
  /// `h[b, kk, qq]` at `h + kk·blockStride + b·rowStride + qq` (`q` and `k·q` for the interleaved layout).
  /// - Complexity: O(batch·k·q·p).
  private func firstFactorTransposed(
    _ h: UnsafePointer<Float>, blockStride: Int, rowStride: Int, batch: Int, into v: UnsafeMutablePointer<Float>,
    inParallel: Bool
  ) {
    let (w1, inFeatures) = (self.w1.baseAddress!, layout.inFeatures)
    eachBlock(k, rows: batch, multiplyAdds: batch * k * q * p, inParallel: inParallel) { kk, rows in
      product(
        rows: rows, n: inWidth(kk), depth: q, a: h + kk * blockStride, ars: rowStride, acs: 1, b: w1 + kk * q * p,
        ldb: p, c: v + kk * p, ldc: inFeatures, accumulate: false)
    }
  }

  // MARK: - Block-major copies for the factor gradients

  /// `dzb[ll][b][ss] = dy[b, ss·l + ll]` (0 for the padded outputs) for rows `rows` of a batch of `batch`: each
  /// block's rows contiguous, so a factor-gradient product over the batch streams them.
  /// - Complexity: O(rows·l·s).
  private func gatherOutputBlockMajor(
    _ dy: UnsafePointer<Float>, rows: Range<Int>, batch: Int, into dzb: UnsafeMutablePointer<Float>
  ) {
    let (l, s, out) = (self.l, self.s, layout.outFeatures)
    if out == l * s {
      for b in rows {
        transposeCopy(dy + b * out, rows: s, columns: l, sourceStride: l, into: dzb + b * s, targetStride: batch * s)
      }
      return
    }
    for b in rows {
      let from = dy + b * out
      for ll in 0..<l {
        let to = dzb + (ll * batch + b) * s
        for ss in 0..<s { to[ss] = ss * l + ll < out ? from[ss * l + ll] : 0 }
      }
    }
  }

  /// `gb[ll][b][rr] = h[b, rr·l + ll]` for rows `rows` (`h` holds only those rows): the permuted middle
  /// activation, block-major.
  /// - Complexity: O(rows·k·q).
  private func permuteMiddleBlockMajor(
    _ h: UnsafePointer<Float>, rows: Range<Int>, batch: Int, into gb: UnsafeMutablePointer<Float>
  ) {
    let (l, r, middle) = (self.l, self.r, self.middle)
    for b in rows {
      transposeCopy(
        h + (b - rows.lowerBound) * middle, rows: r, columns: l, sourceStride: l, into: gb + b * r,
        targetStride: batch * r)
    }
  }

  /// `dhb[kk][b][qq] = dh[b, kk·q + qq]` for rows `rows` (`dh` holds only those rows): block-major.
  /// - Complexity: O(rows·k·q).
  private func copyMiddleBlockMajor(
    _ dh: UnsafePointer<Float>, rows: Range<Int>, batch: Int, into dhb: UnsafeMutablePointer<Float>
  ) {
    for b in rows {
      let from = dh + (b - rows.lowerBound) * middle
      for kk in 0..<k { (dhb + (kk * batch + b) * q).update(from: from + kk * q, count: q) }
    }
  }

  /// `dhb[kk][b][qq] = dg[b, ll·r + rr]` with `kk·q + qq = rr·l + ll`, for rows `rows` (`dg` holds only those
  /// rows): the middle gradient back in the first factor's order, block-major.
  /// - Complexity: O(rows·k·q).
  private func unpermuteMiddleBlockMajor(
    _ dg: UnsafePointer<Float>, rows: Range<Int>, batch: Int, into dhb: UnsafeMutablePointer<Float>
  ) {
    let (k, l, q, r, middle) = (self.k, self.l, self.q, self.r, self.middle)
    for b in rows {
      let from = dg + (b - rows.lowerBound) * middle
      var (ll, rr) = (0, 0)
      for kk in 0..<k {
        let to = dhb + (kk * batch + b) * q
        for qq in 0..<q {
          to[qq] = from[ll * r + rr]
          ll += 1
          if ll == l { (ll, rr) = (0, rr + 1) }
        }
      }
    }
  }

  /// The most rows for which the forward reads the factors as stored, by dot products
  /// (`sml_monarch_gemm_nt_f32`), instead of transposing them for the broadcast kernel.
  static var dotProductRows: Int { 4 }

  /// The forward multiply of a few rows by dot products with the factors as stored: no transposed copy, each
  /// factor read once.
  /// - Complexity: O(batch·(k·q·p + l·s·r)).
  private func multiplyByDotProducts(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
    let (width, ls, inFeatures) = (batch * middle, l * s, layout.inFeatures)
    let (w1, w2, level) = (self.w1.baseAddress!, self.w2.baseAddress!, sml_cpu_vector_level())
    withScratch(2 * width + batch * ls) { scratch in
      let (h, g, z) = (scratch, scratch + width, scratch + 2 * width)
      eachBlock(k, rows: batch, multiplyAdds: batch * k * q * p) { kk, rows in
        sml_monarch_gemm_nt_f32(
          Int32(rows.count), Int32(q), Int32(inWidth(kk)), x + rows.lowerBound * inFeatures + kk * p, inFeatures,
          w1 + kk * q * p, p, h + rows.lowerBound * middle + kk * q, middle, level)
      }
      permuteMiddle(h, batch: batch, into: g, inverse: false)
      eachBlock(l, rows: batch, multiplyAdds: batch * l * s * r) { ll, rows in
        sml_monarch_gemm_nt_f32(
          Int32(rows.count), Int32(s), Int32(r), g + rows.lowerBound * middle + ll * r, middle, w2 + ll * s * r, r,
          z + rows.lowerBound * ls + ll * s, ls, level)
      }
      scatterOutput(z, batch: batch, into: y)
    }
  }

  /// The forward multiply on the block-product kernel; see ``multiply(_:batch:into:)``.
  ///
  /// - Parameter transposed: The factors transposed beforehand, or `nil` to transpose them for this call.
  func multiplyByBlockProducts(
    _ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, transposed: TransposedFactors? = nil
  ) {
    if transposed == nil && batch <= Self.dotProductRows {
      multiplyByDotProducts(x, batch: batch, into: y)
      return
    }
    if transposed == nil && PackedForward.accepts(layout) && batch >= 2 * PackedForward.tileRows {
      // The lane-packed kernels, packed for this call: they need no permutation copies.
      PackedForward(self).multiply(x, batch: batch, into: y, level: sml_cpu_vector_level())
      return
    }
    let factorCount = transposed == nil ? w1.count + w2.count : 0
    withScratch(factorCount) { factorScratch in
      let (w1t, w2t) = transposed.map { ($0.w1t, $0.w2t) } ?? (factorScratch, factorScratch + w1.count)
      if transposed == nil { transposeFactors(w1t: w1t, w2t: w2t) }
      let (ls, inFeatures, outFeatures) = (l * s, layout.inFeatures, layout.outFeatures)
      eachTile(batch: batch, scratchPerRow: middle + ls) { rows, scratch, inParallel in
        // g[b, ll·r + rr] = h[b, rr·l + ll] is read in place through the stride l.
        let (h, z, count) = (scratch, scratch + rows.count * middle, rows.count)
        firstFactor(x + rows.lowerBound * inFeatures, batch: count, w1t: w1t, into: h, inParallel: inParallel)
        eachBlock(l, rows: count, multiplyAdds: count * l * s * r, inParallel: inParallel) { ll, part in
          product(
            rows: part, n: s, depth: r, a: h + ll, ars: middle, acs: l, b: w2t + ll * r * s, ldb: s, c: z + ll * s,
            ldc: ls, accumulate: false)
        }
        scatterOutput(z, batch: count, into: y + rows.lowerBound * outFeatures, inParallel: inParallel)
      }
    }
  }

  /// The transposed multiply on the block-product kernel; see ``multiplyTransposed(_:batch:into:)``.
  func multiplyTransposedByBlockProducts(_ u: UnsafePointer<Float>, batch: Int, into v: UnsafeMutablePointer<Float>) {
    let (inFeatures, outFeatures) = (layout.inFeatures, layout.outFeatures)
    guard !PackedForward.accepts(layout) else {
      // The first step lane-wise on the packed second factor: h comes out in the first factor's order.
      withScratch(w2.count) { w2p in
        PackedForward.packSecondFactor(self, into: w2p)
        eachTile(batch: batch, scratchPerRow: middle) { rows, h, inParallel in
          transposedLanes(u + rows.lowerBound * outFeatures, rows: rows.count, w2p: w2p, into: h, inParallel: inParallel)
          firstFactorTransposed(
            h, blockStride: q, rowStride: middle, batch: rows.count, into: v + rows.lowerBound * inFeatures,
            inParallel: inParallel)
        }
      }
      return
    }
    eachTile(batch: batch, scratchPerRow: 2 * middle + l * s) { rows, scratch, inParallel in
      let count = rows.count
      let (g, h, z) = (scratch, scratch + count * middle, scratch + 2 * count * middle)
      gatherOutput(u + rows.lowerBound * outFeatures, batch: count, into: z, inParallel: inParallel)
      secondFactorTransposed(z, blockStride: s, rowStride: l * s, batch: count, into: g, inParallel: inParallel)
      permuteMiddle(g, batch: count, into: h, inverse: true, inParallel: inParallel)
      firstFactorTransposed(
        h, blockStride: q, rowStride: middle, batch: count, into: v + rows.lowerBound * inFeatures,
        inParallel: inParallel)
    }
  }

  /// `h[b, rr·l + ll] = Σ_ss w2[ll, ss, rr] · u[b, ss·l + ll]` by `sml_monarch_transposed_lanes_f32` for a
  /// layout that ``PackedForward`` accepts, the rows split over the cores when `inParallel` and worth it.
  /// - Complexity: O(rows·l·s·r).
  private func transposedLanes(
    _ u: UnsafePointer<Float>, rows: Int, w2p: UnsafePointer<Float>, into h: UnsafeMutablePointer<Float>,
    inParallel: Bool
  ) {
    let (outFeatures, level) = (layout.outFeatures, sml_cpu_vector_level())
    let chunk = inParallel ? max(1, (1 << 18) / max(1, l * s * r)) : rows
    parallelFor(rows, minimumChunk: chunk) { part in
      sml_monarch_transposed_lanes_f32(
        u + part.lowerBound * outFeatures, outFeatures, Int32(part.count), w2p, Int32(l), Int32(s), Int32(r),
        h + part.lowerBound * middle, middle, level)
    }
  }

  /// The backward pass on the block-product kernel for `batch > 0`; see
  /// ``gradients(input:outputGradient:batch:inputGradient:w1Gradient:w2Gradient:accumulate:)``. The factor
  /// gradients are products of depth `batch` whose left operand is the transposed activation gradient, read in
  /// place through its strides.
  func gradientsByBlockProducts(
    input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, batch: Int,
    inputGradient dx: UnsafeMutablePointer<Float>?, w1Gradient dw1: UnsafeMutablePointer<Float>?,
    w2Gradient dw2: UnsafeMutablePointer<Float>?, accumulate: Bool
  ) {
    let (width, inFeatures) = (batch * middle, layout.inFeatures)
    let w1tCount = dw2 == nil ? 0 : w1.count
    // Layouts of the lane-packed kernels get dh in the first factor's order straight from dy.
    let lanes = PackedForward.accepts(layout)
    let w2pCount = lanes ? w2.count : 0
    // Block-major and kept for the whole batch (the factor gradients sum over it): dz, g (for dw2), dh.
    let (dzCount, gCount, dhCount) = (batch * l * s, dw2 == nil ? 0 : width, dw1 == nil && dx == nil ? 0 : width)
    withScratch(w1tCount + dzCount + gCount + dhCount + w2pCount) { scratch in
      let (w1t, dzb) = (scratch, scratch + w1tCount)
      let (gb, dhb, w2p) = (dzb + dzCount, dzb + dzCount + gCount, dzb + dzCount + gCount + dhCount)
      if dw2 != nil { transposeFactors(w1t: w1t, w2t: nil) }
      if lanes { PackedForward.packSecondFactor(self, into: w2p) }
      // Row-local chain per tile: dz; h → g; dg → dh → dx.
      eachTile(batch: batch, scratchPerRow: middle) { rows, tileScratch, inParallel in
        let (count, start) = (rows.count, rows.lowerBound)
        gatherOutputBlockMajor(dy, rows: rows, batch: batch, into: dzb)
        if dw2 != nil {
          firstFactor(x + start * inFeatures, batch: count, w1t: w1t, into: tileScratch, inParallel: inParallel)
          permuteMiddleBlockMajor(tileScratch, rows: rows, batch: batch, into: gb)
        }
        guard dhCount > 0 else { return }
        if lanes {
          transposedLanes(dy + start * layout.outFeatures, rows: count, w2p: w2p, into: tileScratch, inParallel: inParallel)
          copyMiddleBlockMajor(tileScratch, rows: rows, batch: batch, into: dhb)
        } else {
          secondFactorTransposed(
            dzb + start * s, blockStride: batch * s, rowStride: s, batch: count, into: tileScratch,
            inParallel: inParallel)
          unpermuteMiddleBlockMajor(tileScratch, rows: rows, batch: batch, into: dhb)
        }
        if let dx {
          firstFactorTransposed(
            dhb + start * q, blockStride: batch * q, rowStride: q, batch: count, into: dx + start * inFeatures,
            inParallel: inParallel)
        }
      }
      // dw2[ll, ss, rr] = Σ_b dz[ll][b][ss] · g[ll][b][rr] and dw1[kk, qq, pp] = Σ_b dh[kk][b][qq] · x[b, kk·p + pp],
      // the blocks of both in one parallel region; the padded columns of dw1 are left alone.
      let (w2Blocks, w1Blocks) = (dw2 == nil ? 0 : l, dw1 == nil ? 0 : k)
      let work = (dw2 == nil ? 0 : batch * l * s * r) + (dw1 == nil ? 0 : batch * k * q * p)
      eachBlock(w2Blocks + w1Blocks, rows: 1, multiplyAdds: work) { block, _ in
        if block < w2Blocks, let dw2 {
          product(
            rows: 0..<s, n: r, depth: batch, a: dzb + block * batch * s, ars: 1, acs: s, b: gb + block * batch * r,
            ldb: r, c: dw2 + block * s * r, ldc: r, accumulate: accumulate)
        } else if let dw1 {
          let kk = block - w2Blocks
          product(
            rows: 0..<q, n: inWidth(kk), depth: batch, a: dhb + kk * batch * q, ars: 1, acs: q, b: x + kk * p,
            ldb: inFeatures, c: dw1 + kk * q * p, ldc: p, accumulate: accumulate)
        }
      }
    }
  }
}
