import TensorCore

/// A Transformer block's sequence mixer: `c_proj(attention(rotary(c_attn(x))))` (nanoGPT's `attn`).
struct AttentionMixer: Sendable {
  /// What ``forward(_:batch:sequenceLength:into:parameters:workspace:)`` keeps for the backward pass.
  struct Record {
    /// `c_attn`'s output (queries and keys rotated, when the model rotates them).
    let packed: MutableMatrixView<Float>
    /// The attention's record.
    let attention: CausalSelfAttention.Record
    /// The attention's output, `c_proj`'s input.
    let attended: MutableMatrixView<Float>
  }

  let packedProjection: any LinearLayer
  let rotary: RotaryPositions?
  let attention: CausalSelfAttention
  let projection: any LinearLayer

  private var width: Int { attention.width }

  /// Declares `prefix.c_attn` and `prefix.c_proj`, each with the adapters `plan` has for it.
  init(
    _ prefix: String, width: Int, heads: Int, normalizer: AttentionNormalizer, positions: PositionEncoding,
    contextLength: Int, dropout: Dropout, plan: inout LoRAPlan, layout: inout ParameterLayout
  ) throws {
    let packedName = ParameterLayout.qualified(prefix, "c_attn")
    packedProjection = try plan.wrap(
      packedName, try Linear(packedName, inputFeatures: width, outputFeatures: 3 * width, layout: &layout),
      layout: &layout)
    attention = try CausalSelfAttention(
      prefix, width: width, heads: heads, normalizer: try normalizer.map(),
      dropout: dropout.probability > 0 ? dropout : nil)
    rotary = positions == .rotary ? try RotaryPositions(headSize: width / heads, maximumLength: contextLength) : nil
    let projectionName = ParameterLayout.qualified(prefix, "c_proj")
    projection = try plan.wrap(
      projectionName, try Linear(projectionName, inputFeatures: width, outputFeatures: width, layout: &layout),
      layout: &layout)
  }

  func initialize(
    _ store: ParameterStore, standardDeviation: Float, residualStandardDeviation: Float,
    using generator: inout SeededGenerator
  ) {
    packedProjection.initializeNormal(store, standardDeviation: standardDeviation, using: &generator)
    projection.initializeNormal(store, standardDeviation: residualStandardDeviation, using: &generator)
  }

  /// The training forward pass; `dropoutStep` drops attention weights and seeds the projections' adapter
  /// dropout (`nil`: none).
  func forward(
    _ input: MatrixView<Float>, batch: Int, sequenceLength: Int, into output: MutableMatrixView<Float>,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) throws(TrainingError) -> Record {
    let packed = workspace.matrix(rows: input.rows, columns: 3 * width)
    packedProjection.forward(input, into: packed, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    if let rotary {
      try rotary.apply(to: packed.columns(0..<width), sequenceLength: sequenceLength)
      try rotary.apply(to: packed.columns(width..<2 * width), sequenceLength: sequenceLength)
    }
    let attended = workspace.matrix(rows: input.rows, columns: width)
    let record = try attention.forward(
      qkv: packed.readOnly, batch: batch, sequenceLength: sequenceLength, into: attended, workspace: workspace,
      dropoutStep: dropoutStep)
    projection.forward(
      attended.readOnly, into: output, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    return Record(packed: packed, attention: record, attended: attended)
  }

  /// The backward pass of ``forward(_:batch:sequenceLength:into:parameters:workspace:dropoutStep:)`` with the
  /// same `dropoutStep`.
  func backward(
    input: MatrixView<Float>, record: Record, outputGradient: MatrixView<Float>, inputGradient: InputGradient,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) throws(TrainingError) {
    let attendedGradient = workspace.matrix(rows: input.rows, columns: width)
    projection.backward(
      input: record.attended.readOnly, outputGradient: outputGradient, inputGradient: .overwrite(attendedGradient),
      parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    let packedGradient = workspace.matrix(rows: input.rows, columns: 3 * width)
    try attention.backward(
      qkv: record.packed.readOnly, record: record.attention, outputGradient: attendedGradient.readOnly,
      qkvGradient: .overwrite(packedGradient), workspace: workspace)
    if let rotary {
      let t = record.attention.sequenceLength
      try rotary.applyBackward(to: packedGradient.columns(0..<width), sequenceLength: t)
      try rotary.applyBackward(to: packedGradient.columns(width..<2 * width), sequenceLength: t)
    }
    packedProjection.backward(
      input: input, outputGradient: packedGradient.readOnly, inputGradient: inputGradient, parameters: parameters,
      workspace: workspace, dropoutStep: dropoutStep)
  }

  /// One decoding step at `position`: appends the position's keys and values to the cache (`keys` and
  /// `values`, `contextLength × width`) and writes the mixer's output row.
  func step(
    _ input: MatrixView<Float>, position: Int, keys: MutableMatrixView<Float>, values: MutableMatrixView<Float>,
    into output: MutableMatrixView<Float>, parameters: ParameterStore, workspace: Workspace
  ) throws(TrainingError) {
    let packed = workspace.matrix(rows: 1, columns: 3 * width)
    packedProjection.forward(input, into: packed, parameters: parameters, workspace: workspace, dropoutStep: nil)
    if let rotary {
      try rotary.apply(to: packed.columns(0..<width), sequenceLength: 1, firstPosition: position)
      try rotary.apply(to: packed.columns(width..<2 * width), sequenceLength: 1, firstPosition: position)
    }
    keys.row(position).update(from: packed.row(0) + width, count: width)
    values.row(position).update(from: packed.row(0) + 2 * width, count: width)
    let attended = workspace.matrix(rows: 1, columns: width)
    try attention.attendIncrementally(
      query: packed.row(0), keys: keys.readOnly.rows(0..<position + 1), values: values.readOnly.rows(0..<position + 1),
      into: attended.row(0), workspace: workspace)
    projection.forward(attended.readOnly, into: output, parameters: parameters, workspace: workspace, dropoutStep: nil)
  }
}
