import Monarch
import TensorCore

/// `structml monarch experiment`: Su's comparison of Monarch (`k = l = √n`, `ρ = 1`) with the rank-`√n` SVD at
/// the same `2·n^1.5` parameters, on random Gaussian matrices of several densities.
enum MonarchExperimentCommand {
  static let command = Command(
    path: ["monarch", "experiment"],
    summary: "Monarch vs rank-√n SVD at equal parameters on random dense and sparse matrices",
    options: [
      .value("n", "N", "matrix size, a perfect square (default 64)"),
      .value("seeds", "S", "random matrices per density (default 20)"),
    ]
  ) { arguments, console in
    let n = try arguments.int("n", default: 64, in: 4...4096)!
    let seeds = try arguments.int("seeds", default: 20, in: 1...1000)!
    let rows = try run(n: n, seeds: seeds)
    if arguments.flag("json") {
      console.print(
        JSONValue.array(
          rows.map { row in
            .object([
              ("density", .number(row.density)), ("monarch_mse", .number(row.monarchMSE)),
              ("lowrank_mse", .number(row.lowRankMSE)), ("monarch_better", .int(row.monarchWins)),
              ("seeds", .int(seeds)),
            ])
          }
        ).serialized())
    } else {
      console.print(table(rows, n: n, seeds: seeds))
    }
  }

  struct Row {
    let density: Double
    let monarchMSE: Double
    let lowRankMSE: Double
    let monarchWins: Int
  }

  static let densities = [1.0, 0.5, 0.2, 0.1, 0.05]

  /// The mean per-entry squared error of both approximations over `seeds` matrices at each density.
  static func run(n: Int, seeds: Int, densities: [Double] = densities) throws -> [Row] {
    let m = Int(Double(n).squareRoot())
    guard m * m == n else { throw CommandError.usage("option '--n' must be a perfect square, got \(n)") }
    let layout = try MonarchLayout(inFeatures: n, outFeatures: n, blocks: m, rank: 1)
    return try densities.map { density in
      var (monarch, lowRank, wins) = (0.0, 0.0, 0)
      for seed in 0..<seeds {
        var generator = SeededGenerator(seed: UInt64(seed))
        let w = Tensor<Double>(shape: [n, n]) { _ in
          let value = generator.nextNormal()
          return generator.nextUnit() < density ? value : 0
        }
        let projection = try project(w, onto: layout)
        let baseline = try LowRankBaseline(of: w, parameterCount: layout.parameterCount, using: &generator)
        let entries = Double(n * n)
        monarch += projection.error * projection.error / entries
        lowRank += baseline.error * baseline.error / entries
        if projection.error < baseline.error { wins += 1 }
      }
      return Row(
        density: density, monarchMSE: monarch / Double(seeds), lowRankMSE: lowRank / Double(seeds), monarchWins: wins)
    }
  }

  static func table(_ rows: [Row], n: Int, seeds: Int) -> String {
    let m = Int(Double(n).squareRoot())
    var lines = [
      "n = \(n): Monarch (k = l = \(m), ρ = 1) vs rank-\(m) SVD, both \(2 * n * m) parameters; "
        + "per-entry MSE, mean of \(seeds) seeds",
      "", "| density | Monarch MSE | rank-\(m) SVD MSE | Monarch better |", "|---|---|---|---|",
    ]
    for row in rows {
      lines.append(
        "| \(row.density) | \(formatted(row.monarchMSE, digits: 4)) | \(formatted(row.lowRankMSE, digits: 4)) | "
          + "\(row.monarchWins)/\(seeds) |")
    }
    return lines.joined(separator: "\n")
  }
}
