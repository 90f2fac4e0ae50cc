/// The shape of an ``MLPClassifier``: input features, hidden widths, classes, and the kind of each linear layer.
///
/// JSON keys are snake_case (`input_features`, `hidden_features`, `classes`, `activation`, `hidden_layers`,
/// `output_layer`); `activation` defaults to `"gelu"`, `hidden_layers` and `output_layer` to dense.
public struct MLPConfiguration: Codable, Sendable, Equatable {
  /// The nonlinearity after each hidden layer.
  public enum Activation: String, Codable, Sendable, CaseIterable {
    /// The exact GELU (``GELU/Approximation/none``).
    case gelu
    /// ``ReLU``.
    case relu
  }

  /// The width of an example's feature row.
  public var inputFeatures: Int
  /// The width of each hidden layer, in order (empty for multinomial logistic regression).
  public var hiddenFeatures: [Int]
  /// The number of classes.
  public var classes: Int
  /// The nonlinearity after each hidden layer.
  public var activation: Activation
  /// The kind of the linear layers that produce the hidden features.
  public var hiddenLayers: LinearLayerKind
  /// The kind of the last linear layer, which produces the class logits.
  public var outputLayer: LinearLayerKind

  /// Creates a configuration.
  public init(
    inputFeatures: Int, hiddenFeatures: [Int], classes: Int, activation: Activation = .gelu,
    hiddenLayers: LinearLayerKind = .dense, outputLayer: LinearLayerKind = .dense
  ) {
    self.inputFeatures = inputFeatures
    self.hiddenFeatures = hiddenFeatures
    self.classes = classes
    self.activation = activation
    self.hiddenLayers = hiddenLayers
    self.outputLayer = outputLayer
  }

  private enum CodingKeys: String, CodingKey {
    case inputFeatures = "input_features", hiddenFeatures = "hidden_features", classes, activation
    case hiddenLayers = "hidden_layers", outputLayer = "output_layer"
  }

  /// Decodes a configuration, with the defaults for keys left out.
  ///
  /// - Throws: `DecodingError` for a missing size or a value of the wrong type.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    inputFeatures = try container.decode(Int.self, forKey: .inputFeatures)
    hiddenFeatures = try container.decode([Int].self, forKey: .hiddenFeatures)
    classes = try container.decode(Int.self, forKey: .classes)
    activation = try container.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu
    hiddenLayers = try container.decodeIfPresent(LinearLayerKind.self, forKey: .hiddenLayers) ?? .dense
    outputLayer = try container.decodeIfPresent(LinearLayerKind.self, forKey: .outputLayer) ?? .dense
  }

  /// The widths from input to logits: `[inputFeatures] + hiddenFeatures + [classes]`.
  public var widths: [Int] { [inputFeatures] + hiddenFeatures + [classes] }
}
