import TensorCore
import TensorFiles

/// The Monarch layout of a `.safetensors` checkpoint: which tensors hold a layer's factors, which metadata
/// records its shape, and how both are read back and validated.
///
/// A layer with prefix `P` (a dotted PyTorch module name such as `layers.0.mlp.fc1`, or `""` for a file that
/// holds one matrix) is stored as
///
/// | entry | content |
/// |---|---|
/// | tensor `P.w1` or `P.blkdiag1` | the first factor, `(k, q, p)` |
/// | tensor `P.w2` or `P.blkdiag2` | the second factor, `(l, s, r)` |
/// | metadata `P.in_features`, `P.out_features` | the unpadded widths (default `k·p` and `l·s`) |
/// | metadata `P.in_blocks`, `P.out_blocks` | `k` and `l`, checked against the factor shapes |
/// | metadata `P.rank` | the slice rank `ρ`, or `mixed` for layouts with unequal slice ranks |
///
/// The factor names follow ``MonarchFactorNaming``; a reader accepts either. Metadata is optional (a PyTorch
/// state dictionary has none); when present, every entry must be a plain decimal integer that agrees with the
/// factor shapes. This is what `structml monarch project` and `structml monarch compress` write and what
/// `structml monarch apply` reads.
public enum MonarchCheckpoint {
  /// The metadata keys of a layer, without the prefix.
  public static let metadataKeys = ["in_features", "out_features", "in_blocks", "out_blocks", "rank"]

  /// `prefix.name`, or `name` for the empty prefix.
  public static func qualified(_ name: String, prefix: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
  }

  /// The metadata that records `layout` for the layer `prefix`.
  public static func metadata(for layout: MonarchLayout, prefix: String = "") -> [String: String] {
    let values = [
      "\(layout.inFeatures)", "\(layout.outFeatures)", "\(layout.inBlocks)", "\(layout.outBlocks)",
      layout.sliceRank.map { "\($0)" } ?? "mixed",
    ]
    return Dictionary(uniqueKeysWithValues: zip(metadataKeys.map { qualified($0, prefix: prefix) }, values))
  }

  /// The two tensor entries (name, storage type, shape) of the layer `prefix`, in the order a writer expects.
  public static func entries(
    for layout: MonarchLayout, prefix: String = "", naming: MonarchFactorNaming = .factors, dtype: DType = .float32
  ) -> [SafetensorsWriter.Entry] {
    [
      (qualified(naming.firstFactorName, prefix: prefix), dtype, layout.firstFactorShape),
      (qualified(naming.secondFactorName, prefix: prefix), dtype, layout.secondFactorShape),
    ]
  }

  /// The prefixes of every Monarch layer in a checkpoint: every `P` with tensors `P.w1` and `P.w2` (or
  /// `P.blkdiag1` and `P.blkdiag2`), `""` for a file holding `w1` and `w2`.
  public static func layers(in file: SafetensorsFile) -> [String] {
    let names = Set(file.names)
    return MonarchFactorNaming.allCases.flatMap { naming in
      names.compactMap { name -> String? in
        let prefix: String
        if name == naming.firstFactorName {
          prefix = ""
        } else if name.hasSuffix("." + naming.firstFactorName) {
          prefix = String(name.dropLast(naming.firstFactorName.count + 1))
        } else {
          return nil
        }
        return names.contains(qualified(naming.secondFactorName, prefix: prefix)) ? prefix : nil
      }
    }.sorted()
  }

  /// The naming of the layer `prefix` in `file`.
  ///
  /// - Throws: ``MonarchError/missingTensor(name:)`` naming the first factor when neither naming has both
  ///   factors, or ``MonarchError/invalidLayout(reason:)`` when both namings are present (ambiguous).
  public static func naming(of prefix: String, in file: SafetensorsFile) throws -> MonarchFactorNaming {
    let names = Set(file.names)
    let present = MonarchFactorNaming.allCases.filter {
      names.contains(qualified($0.firstFactorName, prefix: prefix))
        && names.contains(qualified($0.secondFactorName, prefix: prefix))
    }
    guard let naming = present.first else {
      let first = MonarchFactorNaming.allCases.first { names.contains(qualified($0.firstFactorName, prefix: prefix)) }
      let missing =
        first.map { qualified($0.secondFactorName, prefix: prefix) }
        ?? qualified(MonarchFactorNaming.factors.firstFactorName, prefix: prefix)
      throw MonarchError.missingTensor(name: missing)
    }
    guard present.count == 1 else {
      throw MonarchError.invalidLayout(
        reason: "layer '\(prefix)' has both w1/w2 and blkdiag1/blkdiag2 factors; keep one pair")
    }
    return naming
  }

  /// The layout of the layer `prefix` from its factor shapes and metadata.
  ///
  /// - Parameters:
  ///   - firstShape: The shape of the first factor's tensor.
  ///   - secondShape: The shape of the second factor's tensor.
  ///   - metadata: The file's metadata; the layer's entries are optional.
  ///   - prefix: The layer's prefix.
  /// - Throws: ``MonarchError/invalidMetadata(key:value:reason:)`` naming the entry that is not a decimal
  ///   integer or disagrees with the factors, ``MonarchError/shapeMismatch(argument:shape:expected:)`` for
  ///   factors that are not 3-D, and the layout's errors (with every size computation overflow-checked).
  public static func layout(
    firstShape: [Int], secondShape: [Int], metadata: [String: String], prefix: String = ""
  ) throws -> MonarchLayout {
    for (name, shape) in [("first factor", firstShape), ("second factor", secondShape)] where shape.count != 3 {
      throw MonarchError.shapeMismatch(
        argument: "\(name) of layer '\(prefix)'", shape: shape, expected: "a 3-D shape (blocks, rows, columns)")
    }
    func value(_ key: String) throws -> Int? {
      let qualifiedKey = qualified(key, prefix: prefix)
      guard let text = metadata[qualifiedKey] else { return nil }
      guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
        let number = Int(text), number >= 1
      else {
        throw MonarchError.invalidMetadata(
          key: qualifiedKey, value: text, reason: "expected a positive decimal integer below 2^63")
      }
      return number
    }
    func check(_ key: String, _ expected: Int, what: String) throws {
      if let recorded = try value(key), recorded != expected {
        throw MonarchError.invalidMetadata(
          key: qualified(key, prefix: prefix), value: "\(recorded)", reason: "the factors have \(what) \(expected)")
      }
    }
    try check("in_blocks", firstShape[0], what: "in-blocks k =")
    try check("out_blocks", secondShape[0], what: "out-blocks l =")
    /// The width recorded under `key`, which must lie in `(blocks − 1)·size < width ≤ blocks·size`.
    func width(_ key: String, blocks: Int, size: Int, factor: String) throws -> Int {
      let padded = try MonarchLayout.product(blocks, size, field: "\(blocks)·\(size) of the \(factor) factor")
      guard let recorded = try value(key) else { return padded }
      guard recorded <= padded, recorded > padded - size else {
        throw MonarchError.invalidMetadata(
          key: qualified(key, prefix: prefix), value: "\(recorded)",
          reason: "the \(factor) factor's \(blocks) blocks of \(size) hold \(padded - size + 1)...\(padded)")
      }
      return recorded
    }
    let inFeatures = try width("in_features", blocks: firstShape[0], size: firstShape[2], factor: "first")
    let outFeatures = try width("out_features", blocks: secondShape[0], size: secondShape[1], factor: "second")
    let layout = try MonarchLayout(
      inFeatures: inFeatures, outFeatures: outFeatures, inBlocks: firstShape[0], outBlocks: secondShape[0],
      firstBlockRows: firstShape[1], secondBlockColumns: secondShape[2])
    guard layout.firstFactorShape == firstShape, layout.secondFactorShape == secondShape else {
      throw MonarchError.shapeMismatch(
        argument: "factors of layer '\(prefix)'", shape: firstShape + secondShape,
        expected: "\(layout.firstFactorShape) and \(layout.secondFactorShape) for \(inFeatures) inputs and "
          + "\(outFeatures) outputs")
    }
    let rankKey = qualified("rank", prefix: prefix)
    if let recorded = metadata[rankKey], recorded != (layout.sliceRank.map { "\($0)" } ?? "mixed") {
      throw MonarchError.invalidMetadata(
        key: rankKey, value: recorded, reason: "the factors have slice rank \(layout.sliceRank.map { "\($0)" } ?? "mixed")")
    }
    return layout
  }

  /// Reads the layer `prefix` of a checkpoint as a Monarch matrix.
  ///
  /// The layout is checked from the tensor headers before any factor data is read, so a file with absurd
  /// shapes or metadata costs no allocation.
  ///
  /// - Parameters:
  ///   - type: The scalar type of the matrix.
  ///   - file: The checkpoint.
  ///   - prefix: The layer's prefix (`""` for a `monarch project` output).
  /// - Returns: The matrix; factors stored in other floating-point types are converted.
  /// - Throws: ``MonarchError`` naming the tensor or metadata entry that is missing or wrong, or the file's
  ///   error when a tensor cannot be read.
  public static func read<Scalar: TensorScalar>(
    _ type: Scalar.Type = Scalar.self, from file: SafetensorsFile, prefix: String = ""
  ) throws -> MonarchMatrix<Scalar> {
    let naming = try naming(of: prefix, in: file)
    let names = (qualified(naming.firstFactorName, prefix: prefix), qualified(naming.secondFactorName, prefix: prefix))
    let shapes = (try file.info(named: names.0).shape, try file.info(named: names.1).shape)
    for (name, shape) in [(names.0, shapes.0), (names.1, shapes.1)] where shape.count != 3 || shape.contains(0) {
      throw MonarchError.shapeMismatch(
        argument: "tensor '\(name)'", shape: shape, expected: "a 3-D shape (blocks, rows, columns) with no zero extent")
    }
    let layout = try layout(firstShape: shapes.0, secondShape: shapes.1, metadata: file.metadata, prefix: prefix)
    let w1 = try file.tensorData(named: names.0).tensor(as: Scalar.self)
    let w2 = try file.tensorData(named: names.1).tensor(as: Scalar.self)
    for (name, factor) in [(names.0, w1), (names.1, w2)] {
      if let index = factor.scalars.firstIndex(where: { !$0.isFinite }) {
        throw MonarchError.nonFinite(argument: "tensor '\(name)'", index: index, value: Double(factor.scalars[index]))
      }
    }
    return try MonarchMatrix(layout: layout, w1: w1, w2: w2)
  }
}
