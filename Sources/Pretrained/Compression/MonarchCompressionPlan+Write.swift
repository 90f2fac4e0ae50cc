import Dispatch
import Monarch
import TensorCore
import TensorFiles

extension MonarchCompressionPlan {
  /// Streams the planned output into `writer`: every tensor that stays is copied unchanged, every compressed
  /// weight is read, transposed when stored `in × out`, projected, and written as its two factors in the
  /// input's storage type.
  ///
  /// - Parameters:
  ///   - file: The checkpoint the plan was made from.
  ///   - writer: A writer opened with ``entries`` and ``metadata``; the caller finishes or abandons it.
  ///   - compareLowRank: Whether to compute the truncated-SVD baseline of every layer (costly: a full SVD).
  ///   - progress: Called before each tensor with its index in ``entries``-order and its name.
  /// - Returns: One report per compressed layer, in order.
  /// - Throws: `MonarchError.nonFinite` naming the tensor (`index` in its stored
  ///   order) when a weight holds NaN or infinity, and the file's and writer's errors.
  /// - Complexity: Memory holds one layer at a time.
  public func write(
    from file: SafetensorsFile, to writer: SafetensorsWriter, compareLowRank: Bool = false,
    progress: (Int, String) -> Void = { _, _ in }
  ) throws -> [CompressedLayerReport] {
    let compressed = Dictionary(uniqueKeysWithValues: layers.map { ($0.tensor, $0) })
    var reports: [CompressedLayerReport] = []
    for (index, info) in file.tensors.enumerated() {
      progress(index, info.name)
      let data = try file.tensorData(named: info.name)
      guard let layer = compressed[info.name] else {
        try writer.append(name: info.name, data: data)
        continue
      }
      let stored = try data.tensor(as: Float.self)
      let w = layer.inputMajor ? Self.transposed(stored) : stored
      let start = DispatchTime.now().uptimeNanoseconds
      let projection: MonarchProjection<Float>
      do {
        projection = try project(w, onto: layer.layout, name: "tensor '\(info.name)'")
      } catch MonarchError.nonFinite(let argument, let index, let value) where layer.inputMajor {
        let (row, column) = (index / w.columns, index % w.columns)
        throw MonarchError.nonFinite(argument: argument, index: column * w.rows + row, value: value)
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      var lowRank: LowRankBaseline?
      if compareLowRank {
        var generator = SeededGenerator(seed: 0)
        lowRank = try LowRankBaseline(of: w, parameterCount: layer.layout.parameterCount, using: &generator)
      }
      let names = MonarchCheckpoint.entries(for: layer.layout, prefix: layer.prefix, naming: naming).map(\.name)
      try writer.append(name: names[0], data: try TensorData(projection.matrix.w1, as: layer.dtype))
      try writer.append(name: names[1], data: try TensorData(projection.matrix.w2, as: layer.dtype))
      reports.append(
        CompressedLayerReport(
          layer: layer, error: projection.error, norm: projection.norm, seconds: seconds, lowRank: lowRank))
    }
    return reports
  }

  /// The transpose of a `Float` matrix by a concrete loop (the generic `Tensor.transposed()` runs
  /// unspecialized when called from another module).
  /// - Complexity: O(rows·columns).
  static func transposed(_ w: Tensor<Float>) -> Tensor<Float> {
    let (rows, columns) = (w.rows, w.columns)
    var result = [Float](repeating: 0, count: rows * columns)
    w.scalars.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for i in 0..<rows {
          for j in 0..<columns { target[j * rows + i] = source[i * columns + j] }
        }
      }
    }
    return Tensor(shape: [columns, rows], scalars: result)
  }
}
