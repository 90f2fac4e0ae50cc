import Monarch
import TensorCore
import TensorFiles

/// What a Monarch compression of a checkpoint does with each tensor, decided from the tensor headers (and,
/// for a parameter budget, the weights) before anything is written.
///
/// Linear maps (``LinearMapCatalog``) that the include pattern selects are given a layout by the
/// `MonarchLayoutRule`; lookup tables are left alone unless the pattern names them; a layer the rule leaves
/// dense gets a ``CompressionNote`` instead of stopping the compression. The output holds the tensors in the
/// input's order, each compressed weight replaced by its two factors with the layout metadata of
/// `MonarchCheckpoint`.
public struct MonarchCompressionPlan: Sendable {
  /// How the factors of a compressed weight are named.
  public enum FactorPrefix: Sendable, Equatable {
    /// `P.weight` becomes `P.w1`, `P.w2` (a model folder: the factors belong to the module `P`).
    case module
    /// `NAME` becomes `NAME.w1`, `NAME.w2` (a bare checkpoint).
    case tensor
  }

  /// Which tensors to consider: a pattern's text (for messages) and its test.
  public struct Selection: Sendable {
    /// The pattern as the user wrote it.
    public let pattern: String
    /// Whether a tensor name matches.
    public let matches: @Sendable (String) -> Bool

    /// Creates a selection.
    public init(pattern: String, matches: @escaping @Sendable (String) -> Bool) {
      self.pattern = pattern
      self.matches = matches
    }
  }

  /// One weight to compress.
  public struct Layer: Sendable, Equatable {
    /// The dense tensor's name in the input.
    public let tensor: String
    /// The prefix of its factors and metadata in the output.
    public let prefix: String
    /// Whether the input stores it `in × out` (GPT-2's `Conv1D`): it is transposed before projection, so the
    /// factors always represent the `out × in` map.
    public let inputMajor: Bool
    /// The layout of the factors (of the `out × in` map).
    public let layout: MonarchLayout
    /// The storage type of the input tensor, which the factors keep.
    public let dtype: DType
  }

  /// The weights to compress, in the input's order.
  public let layers: [Layer]
  /// The 2-D tensors left as they are, and why.
  public let notes: [CompressionNote]
  /// The output's tensors (name, storage type, shape) in order.
  public let entries: [SafetensorsWriter.Entry]
  /// The layout metadata of every compressed layer.
  public let metadata: [String: String]
  /// The names of the factors.
  public let naming: MonarchFactorNaming

  /// The parameters of the compressed weights when dense.
  public var denseParameters: Int { layers.reduce(0) { $0 + $1.layout.inFeatures * $1.layout.outFeatures } }
  /// The parameters of their factors.
  public var monarchParameters: Int { layers.reduce(0) { $0 + $1.layout.parameterCount } }

  /// Plans the compression of `file`.
  ///
  /// - Parameters:
  ///   - file: The checkpoint (only headers are read, and the weights a budget compares layouts on).
  ///   - catalog: Which tensors are linear maps.
  ///   - rule: How each layer's layout is chosen.
  ///   - selection: Which tensors to consider (default: every linear map).
  ///   - minimumSize: The fewest elements a compressed weight has.
  ///   - naming: The factor names.
  ///   - prefix: How factor names derive from the weight's name.
  /// - Throws: ``ModelCompressionError/includeMatchedNothing(pattern:candidates:)`` when the selection
  ///   matches no 2-D weight, ``ModelCompressionError/noLayerCompressed(notes:)`` when every selected layer
  ///   stays dense, and the file's errors when a budget reads a weight.
  public init(
    file: SafetensorsFile, catalog: LinearMapCatalog, rule: MonarchLayoutRule, selection: Selection? = nil,
    minimumSize: Int = 1, naming: MonarchFactorNaming = .factors, prefix: FactorPrefix
  ) throws {
    var layers: [Layer] = []
    var notes: [CompressionNote] = []
    var entries: [SafetensorsWriter.Entry] = []
    var metadata: [String: String] = [:]
    var candidates: [String] = []
    var selected = 0
    for info in file.tensors {
      let floating = TensorData.floatingPointStorageTypes.contains(info.dtype)
      let role = catalog.role(of: info.name, shape: info.shape, floating: floating)
      if role != .other { candidates.append(info.name) }
      let chosen = selection?.matches(info.name)
      guard role != .other, chosen ?? true, info.elementCount >= minimumSize else {
        entries.append((info.name, info.dtype, info.shape))
        continue
      }
      selected += 1
      let inputMajor: Bool
      switch role {
      case .linear(let major):
        inputMajor = major
      case .lookup where chosen == true:
        inputMajor = false  // a lookup table is compressed only when the pattern names it
      default:
        entries.append((info.name, info.dtype, info.shape))
        notes.append(CompressionNote(tensor: info.name, reason: .lookup))
        continue
      }
      let (rows, columns) = inputMajor ? (info.shape[1], info.shape[0]) : (info.shape[0], info.shape[1])
      let decision = try rule.decision(rows: rows, columns: columns) {
        let w = try file.tensorData(named: info.name).tensor(as: Float.self)
        return inputMajor ? Self.transposed(w) : w
      }
      guard let layout = decision.layout else {
        entries.append((info.name, info.dtype, info.shape))
        notes.append(CompressionNote(tensor: info.name, reason: .leftDense(decision)))
        continue
      }
      let layerPrefix =
        prefix == .module && info.name.hasSuffix(".weight") ? String(info.name.dropLast(".weight".count)) : info.name
      layers.append(
        Layer(tensor: info.name, prefix: layerPrefix, inputMajor: inputMajor, layout: layout, dtype: info.dtype))
      entries += MonarchCheckpoint.entries(for: layout, prefix: layerPrefix, naming: naming, dtype: info.dtype)
      metadata.merge(MonarchCheckpoint.metadata(for: layout, prefix: layerPrefix)) { _, new in new }
    }
    if let selection, selected == 0 {
      throw ModelCompressionError.includeMatchedNothing(pattern: selection.pattern, candidates: candidates)
    }
    guard !layers.isEmpty else { throw ModelCompressionError.noLayerCompressed(notes: notes) }
    self.layers = layers
    self.notes = notes
    self.entries = entries
    self.metadata = metadata
    self.naming = naming
  }
}
