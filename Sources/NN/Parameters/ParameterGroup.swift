/// The optimizer group of a parameter: parameters of one group share a learning rate and a weight decay.
///
/// Layers put matrix weights in ``decayed`` and biases, norm weights and embeddings in ``undecayed`` (the
/// nanoGPT and PEFT convention); an optimizer maps each group to its hyperparameters, and a model may declare
/// groups of its own.
public struct ParameterGroup: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  /// The group's name.
  public let name: String

  /// Creates a group by name.
  public init(_ name: String) { self.name = name }

  /// Creates a group from a string literal.
  public init(stringLiteral name: String) { self.name = name }

  /// Matrix weights of linear and attention layers: weight decay applies.
  public static let decayed = ParameterGroup("decay")
  /// Biases, normalization weights and embeddings: no weight decay by default.
  public static let undecayed = ParameterGroup("no_decay")

  public var description: String { name }
}
