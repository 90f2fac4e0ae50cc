/// The list of a model's parameters, declared before any memory is taken.
///
/// Layers declare their parameters into a layout when they are created; a ``ParameterStore`` built from the
/// layout then takes one buffer each for values, gradients and moments, sized for all of them at once, with
/// every parameter starting on a 64-byte boundary.
///
/// ```swift
/// var layout = ParameterLayout()
/// let fc1 = try Linear("mlp.fc1", inputFeatures: 64, outputFeatures: 256, layout: &layout)
/// let store = try ParameterStore(layout: layout)
/// ```
public struct ParameterLayout: Sendable {
  /// The parameters in declaration order.
  public private(set) var slots: [ParameterSlot] = []
  /// The element count of each buffer: the parameters with their alignment padding.
  public private(set) var elementCount = 0
  private var indexByName: [String: Int] = [:]

  /// The number of elements each parameter's offset is a multiple of: 16 floats, 64 bytes.
  public static let alignmentElements = 16

  /// Creates an empty layout.
  public init() {}

  /// Declares a parameter.
  ///
  /// - Parameters:
  ///   - name: The full dotted name; each component non-empty.
  ///   - shape: Positive extents.
  ///   - group: The optimizer group.
  /// - Returns: The parameter's handle.
  /// - Throws: ``ParameterError/invalidName(_:)``, ``ParameterError/duplicateName(_:)`` or
  ///   ``ParameterError/invalidShape(name:shape:)``.
  public mutating func declare(
    _ name: String, shape: [Int], group: ParameterGroup
  ) throws(ParameterError) -> ParameterID {
    guard !name.isEmpty, name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty })
    else { throw .invalidName(name) }
    guard indexByName[name] == nil else { throw .duplicateName(name) }
    var count = 1
    for extent in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      guard extent > 0, !overflow, product <= Int(Int32.max) else { throw .invalidShape(name: name, shape: shape) }
      count = product
    }
    let offset = elementCount
    let padded = (count + Self.alignmentElements - 1) / Self.alignmentElements * Self.alignmentElements
    elementCount += padded
    slots.append(
      ParameterSlot(
        name: name, shape: shape, offset: offset, count: count, trainable: true, needsGradient: true, group: group))
    indexByName[name] = slots.count - 1
    return ParameterID(index: slots.count - 1)
  }

  /// The handle of the parameter with this name.
  ///
  /// - Throws: ``ParameterError/unknownName(_:)``.
  public func id(of name: String) throws(ParameterError) -> ParameterID {
    guard let index = indexByName[name] else { throw .unknownName(name) }
    return ParameterID(index: index)
  }

  /// The slot of a handle.
  public subscript(id: ParameterID) -> ParameterSlot { slots[id.index] }

  /// Joins a scope prefix and a relative name with a dot (`"blocks.0.mlp"` + `"fc1"`); an empty prefix adds
  /// nothing.
  public static func qualified(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : "\(prefix).\(name)"
  }

  mutating func update(_ id: ParameterID, _ body: (inout ParameterSlot) -> Void) { body(&slots[id.index]) }
}
