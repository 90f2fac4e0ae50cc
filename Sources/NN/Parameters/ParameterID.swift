/// A handle to one parameter of a ``ParameterLayout`` and of every ``ParameterStore`` built from it.
///
/// Layers keep the handles of their parameters and look slots up by handle, never by name, on the hot path.
public struct ParameterID: Hashable, Sendable {
  /// The index of the parameter in ``ParameterLayout/slots``.
  public let index: Int
}
