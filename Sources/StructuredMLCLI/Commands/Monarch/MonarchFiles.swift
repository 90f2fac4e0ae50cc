import Foundation
import Monarch
import TensorCore
import TensorFiles

/// File handling shared by the `structml monarch` commands: reading matrices and factor files, naming options,
/// and turning library errors into command errors that name the file.
enum MonarchFiles {
  /// Reads a matrix from `W.npy` or `FILE.safetensors:TENSOR`.
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the file or tensor when it cannot be read or is not 2-D.
  static func readMatrix(_ specification: String) throws -> (name: String, matrix: Tensor<Float>) {
    let data: TensorData
    let (path, tensor) = TensorFileSpecification.split(specification)
    do {
      if let tensor {
        data = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)).tensorData(named: tensor)
      } else if specification.hasSuffix(".npy") {
        data = try NPYFile.read(URL(fileURLWithPath: specification))
      } else {
        throw CommandError.usage(
          "--input '\(specification)' must be a .npy file or FILE.safetensors:TENSOR")
      }
    } catch let error as CommandError {
      throw error
    } catch {
      throw CommandError.failure("cannot read \(specification): \(error)")
    }
    guard data.shape.count == 2 else {
      throw CommandError.failure("\(specification) must be a 2-D matrix, got shape \(data.shape)")
    }
    do {
      return (specification, try data.tensor(as: Float.self))
    } catch {
      throw CommandError.failure("cannot convert \(specification): \(error)")
    }
  }

  /// The factor naming chosen by `--naming` (default: this library's `w1`/`w2`).
  static func naming(_ arguments: ParsedArguments) throws -> MonarchFactorNaming {
    guard let value = arguments.string("naming") else { return .factors }
    guard let naming = MonarchFactorNaming(rawValue: value) else {
      throw CommandError.usage(
        "option '--naming' must be one of \(MonarchFactorNaming.allCases.map(\.rawValue).joined(separator: ", ")), "
          + "got '\(value)'")
    }
    return naming
  }

  /// The `--naming` option of the commands that write factors.
  static let namingOption = OptionSpec.value(
    "naming", "factors|pytorch", "factor tensor names: w1/w2 (default) or blkdiag1/blkdiag2 (PyTorch MonarchLinear)")

  /// Reads a Monarch matrix from `FACTORS.safetensors` (a `monarch project` output) or
  /// `FILE.safetensors:LAYER` (one layer of a `monarch compress` output or a PyTorch checkpoint).
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the file and the tensor or metadata entry that is wrong.
  static func readFactors(_ specification: String) throws -> MonarchMatrix<Float> {
    let (path, layer) = TensorFileSpecification.split(specification)
    let file: SafetensorsFile
    do {
      file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw CommandError.failure("cannot read factors from \(path): \(error)")
    }
    do {
      return try MonarchCheckpoint.read(Float.self, from: file, prefix: layer ?? "")
    } catch MonarchError.missingTensor(let name) {
      let layers = MonarchCheckpoint.layers(in: file)
      let hint =
        layers.isEmpty
        ? "it holds no Monarch factors"
        : "its Monarch layers are \(layers.prefix(5).map { "'\($0)'" }.joined(separator: ", "))"
          + (layers.count > 5 ? " and \(layers.count - 5) more" : "") + "; name one as \(path):LAYER"
      throw CommandError.failure("cannot read factors from \(path): no tensor '\(name)'; \(hint)")
    } catch {
      throw CommandError.failure("cannot read factors from \(specification): \(error)")
    }
  }

  /// The layout chosen by `--blocks`, `--in-blocks`, `--out-blocks` and `--rank` for a `rows × columns` matrix.
  static func layout(
    rows: Int, columns: Int, blocks: Int?, inBlocks: Int?, outBlocks: Int?, rank: Int?, name: String
  ) throws -> MonarchLayout {
    guard let k = inBlocks ?? blocks, let l = outBlocks ?? blocks else {
      throw CommandError.usage("give --blocks, or both --in-blocks and --out-blocks")
    }
    do {
      return try MonarchLayout(
        inFeatures: columns, outFeatures: rows, inBlocks: k, outBlocks: l,
        rank: rank
          ?? MonarchLayout.defaultRank(inFeatures: columns, outFeatures: rows, inBlocks: k, outBlocks: l))
    } catch {
      throw CommandError.failure("\(name) (\(rows)×\(columns)): \(error)")
    }
  }

  /// The relative Frobenius error formatted for tables.
  static func percent(_ value: Double) -> String { String(format: "%.2f%%", 100 * value) }
}
