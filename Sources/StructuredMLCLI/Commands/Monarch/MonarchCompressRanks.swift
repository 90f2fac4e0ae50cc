import Distributed
import Foundation
import Monarch
import Pretrained
import TensorFiles

/// `monarch compress` over the ranks of a process group: each rank projects only the layers a
/// ``MonarchCompressionPartition`` gives it (reading only their tensors), and rank 0 gathers every layer's
/// factors, as the bytes that go into the output, so that it writes the single-process file.
enum MonarchCompressRanks {
  /// Compresses this rank's share of the plan's layers and gathers them on rank 0.
  ///
  /// - Parameters:
  ///   - plan: The layers to compress (every rank makes the same plan from the same arguments).
  ///   - file: The checkpoint the plan was made from.
  ///   - compareLowRank: Whether each layer's report carries the low-rank baseline.
  ///   - group: The command's ranks.
  ///   - console: Where rank 0 prints one line per rank (its layers, cost share and seconds).
  /// - Returns: Every layer by tensor name on rank 0, and an empty dictionary elsewhere or in a single process
  ///   (which compresses while it writes).
  /// - Throws: ``CommandError/failure(_:)`` on every rank for more ranks than layers, or when any rank failed,
  ///   naming each failed rank and its error.
  static func compressAndGather(
    _ plan: MonarchCompressionPlan, from file: SafetensorsFile, compareLowRank: Bool, group: any ProcessGroup,
    console: Console
  ) throws -> [String: CompressedLayer] {
    guard group.size > 1 else { return [:] }
    let partition: MonarchCompressionPartition
    do {
      partition = try MonarchCompressionPartition(layouts: plan.layers.map(\.layout), ranks: group.size)
    } catch {
      throw CommandError.failure("\(error)")
    }
    let started = ContinuousClock.now
    let mine = try RankAgreement.onEveryRank(group) {
      try partition.layers(of: group.rank).map {
        ($0, try plan.compress(plan.layers[$0], from: file, compareLowRank: compareLowRank))
      }
    }
    let elapsed = ContinuousClock.now - started
    var payload = ByteWriter()
    payload.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    payload.append(mine.count)
    for (index, layer) in mine {
      payload.append(index)
      payload.append(layer.w1.bytes)
      payload.append(layer.w2.bytes)
      let report = layer.report
      for value in [report.error, report.norm, report.seconds] { payload.append(value) }
      payload.append(report.lowRank == nil ? 0 : 1)
      if let lowRank = report.lowRank {
        payload.append(lowRank.rank)
        payload.append(lowRank.parameterCount)
        payload.append(lowRank.error)
        payload.append(lowRank.norm)
      }
    }
    let gathered = try RankAgreement.collective { () throws(DistributedError) in try group.gather(payload.bytes, root: 0) }
    guard let gathered else { return [:] }
    let total = partition.loads.reduce(0, +)
    var layers: [String: CompressedLayer] = [:]
    for (rank, bytes) in gathered.enumerated() {
      var reader = ByteReader(bytes)
      let seconds = try reader.double()
      let count = try reader.int()
      for _ in 0..<count {
        let index = try reader.int()
        guard plan.layers.indices.contains(index) else { throw ByteReader.Malformed() }
        let layer = plan.layers[index]
        let (w1, w2) = (try reader.bytes(), try reader.bytes())
        let (error, norm, layerSeconds) = (try reader.double(), try reader.double(), try reader.double())
        let lowRank = try reader.int() == 0
          ? nil
          : LowRankBaseline(
            rank: try reader.int(), parameterCount: try reader.int(), error: try reader.double(), norm: try reader.double())
        layers[layer.tensor] = CompressedLayer(
          w1: try TensorData(dtype: layer.dtype, shape: layer.layout.firstFactorShape, bytes: w1),
          w2: try TensorData(dtype: layer.dtype, shape: layer.layout.secondFactorShape, bytes: w2),
          report: CompressedLayerReport(layer: layer, error: error, norm: norm, seconds: layerSeconds, lowRank: lowRank))
      }
      console.printError(
        String(
          format: "rank %d: %d layers, %.0f%% of the projection cost, %.2f s", rank, count,
          100 * partition.loads[rank] / max(total, 1), seconds))
    }
    return layers
  }
}

/// Little-endian fields appended to a byte buffer: what one rank sends in a gather.
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  mutating func append(_ value: Int) { withUnsafeBytes(of: UInt64(value).littleEndian) { bytes += $0 } }
  mutating func append(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
  /// A length, then the bytes.
  mutating func append(_ field: [UInt8]) {
    append(field.count)
    bytes += field
  }
}

/// Reads the fields a ``ByteWriter`` wrote, in order.
struct ByteReader {
  /// A buffer that ends inside a field.
  struct Malformed: Error, CustomStringConvertible {
    var description: String { "a rank sent a malformed buffer" }
  }

  private let buffer: [UInt8]
  private var position = 0

  init(_ bytes: [UInt8]) { buffer = bytes }

  mutating func int() throws -> Int { Int(truncatingIfNeeded: try word()) }
  mutating func double() throws -> Double { Double(bitPattern: try word()) }
  mutating func string() throws -> String { String(decoding: try bytes(), as: UTF8.self) }

  mutating func bytes() throws -> [UInt8] {
    let count = try int()
    guard count >= 0, count <= buffer.count - position else { throw Malformed() }
    defer { position += count }
    return Array(buffer[position..<(position + count)])
  }

  private mutating func word() throws -> UInt64 {
    guard buffer.count - position >= 8 else { throw Malformed() }
    var value: UInt64 = 0
    for i in 0..<8 { value |= UInt64(buffer[position + i]) << (8 * i) }
    position += 8
    return value
  }
}
