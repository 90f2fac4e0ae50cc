import Dispatch
import Monarch
import TensorCore
import TensorFiles

extension MonarchCompressionPlan {
  /// Streams the planned output into `writer`: every tensor that stays is copied unchanged, every compressed
  /// weight is taken from `precomputed` or else compressed here (``compress(_:from:compareLowRank:)``), and
  /// written as its two factors in the input's storage type.
  ///
  /// - Parameters:
  ///   - file: The checkpoint the plan was made from.
  ///   - writer: A writer opened with ``entries`` and ``metadata``; the caller finishes or abandons it.
  ///   - compareLowRank: Whether to compute the truncated-SVD baseline of every layer (costly: a full SVD).
  ///   - precomputed: Layers compressed elsewhere (by other processes of a job), by tensor name.
  ///   - progress: Called before each tensor with its index in ``entries``-order and its name.
  /// - Returns: One report per compressed layer, in order.
  /// - Throws: `MonarchError.nonFinite` naming the tensor (`index` in its stored
  ///   order) when a weight holds NaN or infinity, and the file's and writer's errors.
  /// - Complexity: Memory holds one layer at a time (plus `precomputed`).
  public func write(
    from file: SafetensorsFile, to writer: SafetensorsWriter, compareLowRank: Bool = false,
    precomputed: [String: CompressedLayer] = [:], progress: (Int, String) -> Void = { _, _ in }
  ) throws -> [CompressedLayerReport] {
    let compressed = Dictionary(uniqueKeysWithValues: layers.map { ($0.tensor, $0) })
    var reports: [CompressedLayerReport] = []
    for (index, info) in file.tensors.enumerated() {
      progress(index, info.name)
      guard let layer = compressed[info.name] else {
        try writer.append(name: info.name, data: try file.tensorData(named: info.name))
        continue
      }
      let result = try precomputed[info.name] ?? compress(layer, from: file, compareLowRank: compareLowRank)
      let names = MonarchCheckpoint.entries(for: layer.layout, prefix: layer.prefix, naming: naming).map(\.name)
      try writer.append(name: names[0], data: result.w1)
      try writer.append(name: names[1], data: result.w2)
      reports.append(result.report)
    }
    return reports
  }

  /// One planned layer compressed: its weight read, transposed when stored `in × out`, projected, and its
  /// factors converted to the input's storage type.
  ///
  /// - Parameters:
  ///   - layer: One of ``layers``.
  ///   - file: The checkpoint the plan was made from.
  ///   - compareLowRank: Whether to compute the truncated-SVD baseline too.
  /// - Throws: `MonarchError.nonFinite` naming the tensor (`index` in its stored order) when the weight holds
  ///   NaN or infinity, and the file's errors.
  /// - Complexity: One Monarch projection (and one SVD with `compareLowRank`).
  public func compress(_ layer: Layer, from file: SafetensorsFile, compareLowRank: Bool = false) throws
    -> CompressedLayer
  {
    let stored = try file.tensorData(named: layer.tensor).tensor(as: Float.self)
    let w = layer.inputMajor ? Self.transposed(stored) : stored
    let start = DispatchTime.now().uptimeNanoseconds
    let projection: MonarchProjection<Float>
    do {
      projection = try project(w, onto: layer.layout, name: "tensor '\(layer.tensor)'")
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
    return CompressedLayer(
      w1: try TensorData(projection.matrix.w1, as: layer.dtype), w2: try TensorData(projection.matrix.w2, as: layer.dtype),
      report: CompressedLayerReport(
        layer: layer, error: projection.error, norm: projection.norm, seconds: seconds, lowRank: lowRank))
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
