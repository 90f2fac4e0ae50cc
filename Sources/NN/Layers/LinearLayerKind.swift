/// Whether a linear layer of a model is dense or Monarch-structured: the choice a configuration makes per layer.
///
/// Coded as `{"type": "dense"}` or `{"type": "monarch", "blocks": 4}`.
public enum LinearLayerKind: Codable, Sendable, Equatable, CustomStringConvertible {
  /// A dense ``Linear`` layer.
  case dense
  /// A ``MonarchLinearLayer`` with `blocks` blocks in both factors and the default slice rank.
  case monarch(blocks: Int)

  private enum CodingKeys: String, CodingKey { case type, blocks }

  /// Decodes `{"type": "dense"}` or `{"type": "monarch", "blocks": B}`.
  ///
  /// - Throws: `DecodingError` for another type or a missing block count.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    switch try container.decode(String.self, forKey: .type) {
    case "dense": self = .dense
    case "monarch": self = .monarch(blocks: try container.decode(Int.self, forKey: .blocks))
    case let other:
      throw DecodingError.dataCorruptedError(
        forKey: .type, in: container, debugDescription: "linear layer type '\(other)' is not 'dense' or 'monarch'")
    }
  }

  /// Encodes the kind as its decoder reads it.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .dense: try container.encode("dense", forKey: .type)
    case .monarch(let blocks):
      try container.encode("monarch", forKey: .type)
      try container.encode(blocks, forKey: .blocks)
    }
  }

  /// Declares a layer of this kind under `name`.
  ///
  /// - Throws: ``TrainingError`` for a size below 1 or Monarch blocks that do not fit the widths
  ///   (``TrainingError/invalidMonarchLayout(layer:reason:)``), or a ``ParameterError`` for a name already
  ///   declared.
  public func makeLayer(
    _ name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true, layout: inout ParameterLayout
  ) throws -> any LinearLayer {
    switch self {
    case .dense:
      return try Linear(name, inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias, layout: &layout)
    case .monarch(let blocks):
      try requirePositive(inputFeatures, "inputFeatures", name)
      try requirePositive(outputFeatures, "outputFeatures", name)
      return try MonarchLinearLayer(
        name, inputFeatures: inputFeatures, outputFeatures: outputFeatures, blocks: blocks, bias: bias, layout: &layout)
    }
  }

  /// `dense` or `Monarch (B blocks)`.
  public var description: String {
    switch self {
    case .dense: return "dense"
    case .monarch(let blocks): return "Monarch (\(blocks) blocks)"
    }
  }
}
