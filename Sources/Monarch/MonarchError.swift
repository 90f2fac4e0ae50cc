/// A problem with a Monarch shape, factor, input or factor file; each case names what is wrong.
public enum MonarchError: Error, Equatable, CustomStringConvertible {
  /// The blocks, rank or factor extents do not fit the matrix shape; `reason` says how.
  case invalidLayout(reason: String)
  /// A size, or a product of sizes, does not fit the integer range the kernels use; `field` names it
  /// (`in_features`, `w1`, `k·p`, …).
  case sizeOverflow(field: String, detail: String)
  /// `argument` has shape `shape`, but the operation needs `expected`.
  case shapeMismatch(argument: String, shape: [Int], expected: String)
  /// `argument` holds the NaN or infinity `value` at flat index `index`.
  case nonFinite(argument: String, index: Int, value: Double)
  /// Block `block` of factor `factor` is singular (its LU factorization has a vanishing pivot).
  case singularBlock(factor: String, block: Int)
  /// A decomposition that the operation relies on failed on `argument`.
  case decompositionFailed(argument: String, reason: String)
  /// A factor file's metadata entry `key` holds `value`, which cannot be used; `reason` says why.
  case invalidMetadata(key: String, value: String, reason: String)
  /// A factor file has no tensor `name`.
  case missingTensor(name: String)
  /// More ranks than layers to compress: a rank would have nothing to do.
  case moreRanksThanLayers(ranks: Int, layers: Int)

  public var description: String {
    switch self {
    case .invalidLayout(let reason): return reason
    case .sizeOverflow(let field, let detail): return "\(field) is too large: \(detail)"
    case .shapeMismatch(let argument, let shape, let expected):
      return "\(argument) has shape \(shape), expected \(expected)"
    case .nonFinite(let argument, let index, let value):
      return "\(argument) holds \(value) at flat index \(index)"
    case .singularBlock(let factor, let block): return "block \(block) of \(factor) is singular"
    case .decompositionFailed(let argument, let reason): return "\(argument): \(reason)"
    case .invalidMetadata(let key, let value, let reason):
      return "metadata '\(key)' = '\(value)': \(reason)"
    case .missingTensor(let name): return "no tensor '\(name)'"
    case .moreRanksThanLayers(let ranks, let layers):
      return "\(ranks) ranks but only \(layers) layers to compress; start at most \(layers) ranks"
    }
  }
}
