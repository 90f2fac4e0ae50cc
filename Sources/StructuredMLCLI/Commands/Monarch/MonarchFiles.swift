import Foundation
import Monarch
import TensorCore
import TensorFiles

/// File handling shared by the `structml monarch` commands: reading matrices and factor files, writing factors,
/// and turning library errors into command errors that name the file.
enum MonarchFiles {
  /// Reads a matrix from `W.npy` or `FILE.safetensors:TENSOR`.
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the file or tensor when it cannot be read or is not 2-D.
  static func readMatrix(_ specification: String) throws -> (name: String, matrix: Tensor<Float>) {
    let data: TensorData
    do {
      if let colon = specification.lastIndex(of: ":"), specification[..<colon].hasSuffix(".safetensors") {
        let path = String(specification[..<colon])
        let tensor = String(specification[specification.index(after: colon)...])
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

  /// The metadata that records a layout in a factor file.
  static func metadata(_ layout: MonarchLayout, prefix: String = "") -> [String: String] {
    [
      prefix + "in_features": "\(layout.inFeatures)", prefix + "out_features": "\(layout.outFeatures)",
      prefix + "in_blocks": "\(layout.inBlocks)", prefix + "out_blocks": "\(layout.outBlocks)",
      prefix + "rank": layout.sliceRank.map { "\($0)" } ?? "mixed",
    ]
  }

  /// Reads `w1`, `w2` and the recorded feature counts from a factor file written by `monarch project`.
  static func readFactors(_ path: String) throws -> MonarchMatrix<Float> {
    do {
      let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
      let w1 = try file.tensorData(named: "w1").tensor(as: Float.self)
      let w2 = try file.tensorData(named: "w2").tensor(as: Float.self)
      return try MonarchMatrix(
        w1: w1, w2: w2, inFeatures: file.metadata["in_features"].flatMap { Int($0) },
        outFeatures: file.metadata["out_features"].flatMap { Int($0) })
    } catch {
      throw CommandError.failure("cannot read factors from \(path): \(error)")
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
