import Foundation
import Monarch
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

@Suite("structml monarch commands", .serialized)
struct MonarchCommandTests {
  let folder: URL

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("monarch-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) { runInProcess(arguments) }


  /// Parses the command's JSON output with Foundation.
  func parse(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func projectWritesFactorsThatApplyReproduces() throws {
    // A Kronecker product is exactly Monarch: the projection error must be ~0 and apply must give X Wᵀ.
    var generator = SeededGenerator(seed: 51)
    let a = Tensor<Float>.normal(shape: [4, 4], using: &generator)
    let b = Tensor<Float>.normal(shape: [4, 4], using: &generator)
    let w = Tensor<Float>(shape: [16, 16]) { index in
      let (row, column) = (index / 16, index % 16)
      return a[row / 4, column / 4] * b[row % 4, column % 4]
    }
    try NPYFile.write(try TensorData(w), to: URL(fileURLWithPath: path("w.npy")))
    let projected = run([
      "monarch", "project", "--input", path("w.npy"), "--blocks", "4", "--output", path("f.safetensors"), "--json",
    ])
    #expect(projected.status == 0, "\(projected.error)")
    let report = try parse(projected.out)
    #expect(report["rows"] as? Int == 16 && report["cols"] as? Int == 16)
    #expect(report["in_blocks"] as? Int == 4 && report["rank"] as? Int == 1)
    #expect(report["parameters"] as? Int == 128 && report["dense_parameters"] as? Int == 256)
    #expect(try #require(report["relative_error"] as? Double) < 1e-6)
    #expect(try #require(report["lowrank_relative_error"] as? Double) > 0.01)
    let factors = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("f.safetensors")))
    #expect(try factors.info(named: "w1").shape == [4, 4, 4])
    #expect(factors.metadata["in_blocks"] == "4")

    let x = Tensor<Float>.normal(shape: [5, 16], using: &generator)
    try NPYFile.write(try TensorData(x), to: URL(fileURLWithPath: path("x.npy")))
    let applied = run([
      "monarch", "apply", "--factors", path("f.safetensors"), "--input", path("x.npy"), "--output", path("y.npy"),
    ])
    #expect(applied.status == 0, "\(applied.error)")
    let y = try NPYFile.read(URL(fileURLWithPath: path("y.npy"))).tensor(as: Float.self)
    let check = discrepancy(y, naiveMatmul(x, w.transposed()), absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func compressReplacesMatchingWeightsAndCopiesTheRest() throws {
    var generator = SeededGenerator(seed: 52)
    let weight = Tensor<Float>.normal(shape: [24, 32], using: &generator)
    let bias = Tensor<Float>.normal(shape: [24], using: &generator)
    let embedding = Tensor<Double>.normal(shape: [10, 8], using: &generator)
    try SafetensorsWriter.write(
      [
        ("layer.weight", try TensorData(weight)), ("layer.bias", try TensorData(bias)),
        ("embed.weight", try TensorData(embedding)),
      ], metadata: ["format": "pt"], to: URL(fileURLWithPath: path("model.safetensors")))
    let result = run([
      "monarch", "compress", "--input", path("model.safetensors"), "--output", path("out.safetensors"),
      "--blocks", "2", "--include", "^layer\\.", "--json",
    ])
    #expect(result.status == 0, "\(result.error)")
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
    #expect(rows.count == 1 && rows.first?["name"] as? String == "layer.weight")
    let out = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("out.safetensors")))
    #expect(Set(out.names) == ["layer.weight.w1", "layer.weight.w2", "layer.bias", "embed.weight"])
    #expect(try out.tensorData(named: "layer.bias") == (try TensorData(bias)))
    #expect(try out.tensorData(named: "embed.weight") == (try TensorData(embedding)))
    #expect(out.metadata["layer.weight.rank"] == "6" && out.metadata["format"] == "pt")
    // The stored factors reproduce the reported error.
    let w1 = try out.tensorData(named: "layer.weight.w1").tensor(as: Float.self)
    let w2 = try out.tensorData(named: "layer.weight.w2").tensor(as: Float.self)
    let m = try MonarchMatrix(w1: w1, w2: w2, inFeatures: 32, outFeatures: 24)
    let relative = (m.dense() - weight).frobeniusNorm / weight.frobeniusNorm
    #expect(abs(relative - (try #require(rows.first?["relative_error"] as? Double))) < 1e-5)
  }

  @Test func badInputsAreNamedAndLeaveNoOutput() throws {
    var generator = SeededGenerator(seed: 53)
    var weight = Tensor<Float>.normal(shape: [8, 8], using: &generator)
    try SafetensorsWriter.write(
      [("a.weight", try TensorData(weight)), ("b.weight", try TensorData(Tensor<Float>(zeros: [8, 3])))],
      to: URL(fileURLWithPath: path("bad-shape.safetensors")))
    let blocks = run([
      "monarch", "compress", "--input", path("bad-shape.safetensors"), "--output", path("never.safetensors"),
      "--blocks", "4",
    ])
    // 8 × 8 at 4 blocks keeps as many parameters as dense, and 8 × 3 does not fit: nothing to compress.
    #expect(blocks.status == 2, "\(blocks.error)")
    #expect(blocks.error.contains("'b.weight'") && blocks.error.contains("out-blocks") == false)
    #expect(blocks.error.contains("--blocks 4"), "\(blocks.error)")
    #expect(blocks.error.contains("in-blocks 4 must be in 1...3"), "\(blocks.error)")
    #expect(!FileManager.default.fileExists(atPath: path("never.safetensors")))

    weight[3, 5] = .infinity
    try SafetensorsWriter.write(
      [("a.bias", try TensorData(Tensor<Float>(zeros: [8]))), ("a.weight", try TensorData(weight))],
      to: URL(fileURLWithPath: path("inf.safetensors")))
    let infinite = run([
      "monarch", "compress", "--input", path("inf.safetensors"), "--output", path("never.safetensors"), "--blocks", "2",
      "--rank", "1",
    ])
    #expect(infinite.status == 1)
    #expect(infinite.error.contains("tensor 'a.weight'") && infinite.error.contains("inf at row 3, column 5"))
    #expect(!FileManager.default.fileExists(atPath: path("never.safetensors")))

    try NPYFile.write(try TensorData(Tensor<Float>(zeros: [2, 3, 4])), to: URL(fileURLWithPath: path("cube.npy")))
    let cube = run(["monarch", "project", "--input", path("cube.npy"), "--blocks", "2", "--output", path("f.st")])
    #expect(cube.status == 1 && cube.error.contains("must be a 2-D matrix"))
    try NPYFile.write(try TensorData(Tensor<Float>(zeros: [8, 8])), to: URL(fileURLWithPath: path("z.npy")))
    let rank = run([
      "monarch", "project", "--input", path("z.npy"), "--blocks", "2", "--rank", "5", "--output", path("f.st"),
    ])
    #expect(rank.status == 1 && rank.error.contains("rank 5 is above the slice size 4"), "\(rank.error)")
    let missing = run(["monarch", "project", "--input", path("z.npy"), "--output", path("f.st")])
    #expect(missing.status == 2 && missing.error.contains("--blocks"))
  }

  /// `A ⊗ B` with `A: 3 × 4` and `B: 4 × 5`: exactly Monarch with 4 blocks of both factors and rank 1.
  func kroneckerWeight(using generator: inout SeededGenerator) -> Tensor<Float> {
    let a = Tensor<Float>.normal(shape: [3, 4], using: &generator)
    let b = Tensor<Float>.normal(shape: [4, 5], using: &generator)
    return Tensor<Float>(shape: [12, 20]) { index in
      let (row, column) = (index / 20, index % 20)
      return a[row / 4, column / 5] * b[row % 4, column % 5]
    }
  }

  @Test(arguments: ["factors", "pytorch"])
  func applyReadsOneLayerOfACompressOutput(naming: String) throws {
    var generator = SeededGenerator(seed: 54)
    let weight = kroneckerWeight(using: &generator)
    try SafetensorsWriter.write(
      [("layers.0.mlp.fc1.weight", try TensorData(weight)), ("head.weight", try TensorData(weight))],
      to: URL(fileURLWithPath: path("model.safetensors")))
    let compressed = run([
      "monarch", "compress", "--input", path("model.safetensors"), "--output", path("model-monarch.safetensors"),
      "--blocks", "4", "--naming", naming,
    ])
    #expect(compressed.status == 0, "\(compressed.error)")
    let out = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("model-monarch.safetensors")))
    let suffixes = naming == "pytorch" ? ["blkdiag1", "blkdiag2"] : ["w1", "w2"]
    #expect(out.names.contains("layers.0.mlp.fc1.weight." + suffixes[0]))
    #expect(MonarchCheckpoint.layers(in: out) == ["head.weight", "layers.0.mlp.fc1.weight"])
    let x = Tensor<Float>.normal(shape: [6, 20], using: &generator)
    try NPYFile.write(try TensorData(x), to: URL(fileURLWithPath: path("x.npy")))
    let applied = run([
      "monarch", "apply", "--factors", path("model-monarch.safetensors") + ":layers.0.mlp.fc1.weight",
      "--input", path("x.npy"), "--output", path("y.npy"),
    ])
    #expect(applied.status == 0, "\(applied.error)")
    let y = try NPYFile.read(URL(fileURLWithPath: path("y.npy"))).tensor(as: Float.self)
    let check = discrepancy(y, naiveMatmul(x, weight.transposed()), absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
    #expect(check.isWithinTolerance, "\(check)")
    // Without a layer name the error lists the layers there are.
    let unnamed = run([
      "monarch", "apply", "--factors", path("model-monarch.safetensors"), "--input", path("x.npy"),
      "--output", path("y2.npy"),
    ])
    #expect(unnamed.status == 1 && unnamed.error.contains("'layers.0.mlp.fc1.weight'"), "\(unnamed.error)")
    let badNaming = run([
      "monarch", "compress", "--input", path("model.safetensors"), "--output", path("never.safetensors"),
      "--blocks", "4", "--naming", "torch",
    ])
    #expect(badNaming.status == 2 && badNaming.error.contains("--naming"))
  }

  /// Writes a `.safetensors` file byte by byte: an 8-byte little-endian header length, the JSON header, data.
  func writeRawSafetensors(_ header: String, data: [UInt8] = [], to name: String) throws {
    let json = Array(header.utf8)
    var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
    bytes += json + data
    try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
  }

  @Test func hostileFactorFilesFailWithTheFieldNamed() throws {
    try NPYFile.write(try TensorData(Tensor<Float>(zeros: [2, 4])), to: URL(fileURLWithPath: path("x.npy")))
    let eight = [UInt8](repeating: 0, count: 8)
    let cases: [(header: String, data: [UInt8], expected: String)] = [
      // Zero-element factors with huge extents.
      (
        #"{"w1":{"dtype":"F32","shape":[2,4611686018427387904,0],"data_offsets":[0,0]},"#
          + #""w2":{"dtype":"F32","shape":[2,0,4611686018427387904],"data_offsets":[0,0]}}"#, [], "w1"
      ),
      (
        #"{"w1":{"dtype":"F32","shape":[0,3037000500,3037000500],"data_offsets":[0,0]},"#
          + #""w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "w1"
      ),
      // Metadata near Int.max, malformed and inconsistent.
      (
        #"{"__metadata__":{"in_features":"9223372036854775807"},"#
          + #""w1":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]},"w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[4,8]}}"#,
        eight, "in_features"
      ),
      (
        #"{"__metadata__":{"out_features":"99999999999999999999999"},"#
          + #""w1":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]},"w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[4,8]}}"#,
        eight, "out_features"
      ),
      (
        #"{"__metadata__":{"in_features":"-4"},"#
          + #""w1":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]},"w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[4,8]}}"#,
        eight, "in_features"
      ),
      (
        #"{"__metadata__":{"in_blocks":"2"},"#
          + #""w1":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]},"w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[4,8]}}"#,
        eight, "in_blocks"
      ),
      (
        #"{"__metadata__":{"rank":"7"},"#
          + #""w1":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]},"w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[4,8]}}"#,
        eight, "rank"
      ),
      (#"{"w1":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "w2"),
      (
        #"{"w1":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[8,12]}}"#,
        eight + [0, 0, 0, 0], "3-D"
      ),
      (
        #"{"w1":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]},"w2":{"dtype":"F32","shape":[1,1,1],"data_offsets":[4,8]}}"#,
        [0, 0, 0xC0, 0x7F, 0, 0, 0, 0], "nan"
      ),
    ]
    for (index, testCase) in cases.enumerated() {
      try writeRawSafetensors(testCase.header, data: testCase.data, to: "hostile\(index).safetensors")
      let result = run([
        "monarch", "apply", "--factors", path("hostile\(index).safetensors"), "--input", path("x.npy"),
        "--output", path("never.npy"),
      ])
      #expect(result.status == 1, "case \(index): \(result.status) \(result.error)")
      #expect(result.error.contains(testCase.expected), "case \(index): \(result.error)")
      #expect(!FileManager.default.fileExists(atPath: path("never.npy")))
    }
  }

  @Test func applyRefusesAnOutputLargerThanMemoryBeforeAllocating() throws {
    // 2^20 rows of width 1 and a matrix with 2^20 outputs: 8 MiB of files, a 4 TiB product.
    let rows = 1 << 20
    try NPYFile.write(try TensorData(Tensor<Float>(zeros: [rows, 1])), to: URL(fileURLWithPath: path("tall.npy")))
    try SafetensorsWriter.write(
      [("w1", try TensorData(Tensor<Float>(repeating: 1, shape: [1, 1, 1]))), ("w2", try TensorData(Tensor<Float>(repeating: 1, shape: [1, rows, 1])))],
      to: URL(fileURLWithPath: path("wide.safetensors")))
    let result = run([
      "monarch", "apply", "--factors", path("wide.safetensors"), "--input", path("tall.npy"), "--output", path("y.npy"),
    ])
    #expect(result.status == 1 && result.error.contains("memory"), "\(result.error)")
    #expect(!FileManager.default.fileExists(atPath: path("y.npy")))
  }

  @Test func applyRefusesNonFiniteInputsAndOverflowingProducts() throws {
    var generator = SeededGenerator(seed: 55)
    let weight = kroneckerWeight(using: &generator)
    try NPYFile.write(try TensorData(weight), to: URL(fileURLWithPath: path("w.npy")))
    #expect(run(["monarch", "project", "--input", path("w.npy"), "--blocks", "4", "--output", path("f.safetensors")]).status == 0)
    for (bad, text) in [(Float.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf")] {
      var x = Tensor<Float>(zeros: [3, 20])
      x[1, 7] = bad
      try NPYFile.write(try TensorData(x), to: URL(fileURLWithPath: path("x.npy")))
      let result = run([
        "monarch", "apply", "--factors", path("f.safetensors"), "--input", path("x.npy"), "--output", path("y.npy"),
      ])
      #expect(result.status == 1 && result.error.contains("x.npy holds \(text) at row 1, column 7"), "\(result.error)")
      #expect(!FileManager.default.fileExists(atPath: path("y.npy")))
    }
    let huge = Tensor<Float>(repeating: Float.greatestFiniteMagnitude, shape: [2, 20])
    try NPYFile.write(try TensorData(huge), to: URL(fileURLWithPath: path("huge.npy")))
    let overflow = run([
      "monarch", "apply", "--factors", path("f.safetensors"), "--input", path("huge.npy"), "--output", path("y.npy"),
    ])
    #expect(overflow.status == 1 && overflow.error.contains("overflows Float"), "\(overflow.error)")
    #expect(!FileManager.default.fileExists(atPath: path("y.npy")))
  }

  @Test func projectIntoItsOwnInputCheckpointLeavesItIntact() throws {
    var generator = SeededGenerator(seed: 56)
    try SafetensorsWriter.write(
      [("w", try TensorData(kroneckerWeight(using: &generator)))], to: URL(fileURLWithPath: path("m.safetensors")))
    let before = try Data(contentsOf: URL(fileURLWithPath: path("m.safetensors")))
    let result = run([
      "monarch", "project", "--input", path("m.safetensors") + ":w", "--blocks", "4", "--output", path("m.safetensors"),
    ])
    #expect(result.status == 1 || result.status == 2, "\(result.status)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: path("m.safetensors"))) == before)
    #expect(TensorFileSpecification.split(path("m.safetensors") + ":w").path == path("m.safetensors"))
    #expect(TensorFileSpecification.split("dir:with:colons/x.npy") == ("dir:with:colons/x.npy", nil))
    #expect(TensorFileSpecification.split("a.safetensors:odd:name") == ("a.safetensors", "odd:name"))
  }

  @Test func includePatternsRunInLinearTimeAndRefuseUnsupportedSyntax() throws {
    let hostileName = String(repeating: "a", count: 10_000) + "!"
    try SafetensorsWriter.write(
      [(hostileName, try TensorData(Tensor<Float>(zeros: [4, 4]))), ("ok.\u{1B}[2J\n.weight", try TensorData(Tensor<Float>(zeros: [8, 8])))],
      to: URL(fileURLWithPath: path("names.safetensors")))
    let start = DispatchTime.now().uptimeNanoseconds
    let result = run([
      "monarch", "compress", "--input", path("names.safetensors"), "--output", path("out.safetensors"),
      "--blocks", "2", "--include", "(a+)+$", "--json",
    ])
    // The pattern matches no name (the long one ends in '!'), which is an error naming it and the candidates.
    #expect(result.status == 2, "\(result.error)")
    #expect(result.error.contains("'(a+)+$' matches no 2-D weight") && result.error.contains("'ok."), "\(result.error)")
    #expect(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < 30)
    #expect(!FileManager.default.fileExists(atPath: path("out.safetensors")))
    let control = run([
      "monarch", "compress", "--input", path("names.safetensors"), "--output", path("out2.safetensors"),
      "--blocks", "2", "--rank", "1", "--include", "\\n\\.weight$", "--json",
    ])
    #expect(control.status == 0, "\(control.error)")
    // The text report names the compressed tensor with its control characters escaped.
    let text = run([
      "monarch", "compress", "--input", path("names.safetensors"), "--output", path("out3.safetensors"),
      "--blocks", "2", "--rank", "1", "--include", "^ok",
    ])
    #expect(text.status == 0, "\(text.error)")
    #expect(text.out.contains(#"ok.\u{1B}[2J\n.weight"#), "\(text.out)")
    #expect(!text.out.unicodeScalars.contains("\u{1B}"))
    let unsupported = run([
      "monarch", "compress", "--input", path("names.safetensors"), "--output", path("never.safetensors"),
      "--blocks", "2", "--include", "(?=a)",
    ])
    #expect(unsupported.status == 2 && unsupported.error.contains("--include"), "\(unsupported.error)")
    #expect(!FileManager.default.fileExists(atPath: path("never.safetensors")))
  }

  @Test func zeroAndRankDeficientWeightsProjectExactly() throws {
    var generator = SeededGenerator(seed: 57)
    let lowRank = naiveMatmul(
      Tensor<Float>.normal(shape: [16, 2], using: &generator), Tensor<Float>.normal(shape: [2, 16], using: &generator)
    ).converted(to: Float.self)
    for (name, w) in [("zero", Tensor<Float>(zeros: [16, 16])), ("rank2", lowRank)] {
      try NPYFile.write(try TensorData(w), to: URL(fileURLWithPath: path("\(name).npy")))
      // 4 blocks, rank 2: every slice of a rank-2 matrix has rank at most 2, so the projection is exact.
      let result = run([
        "monarch", "project", "--input", path("\(name).npy"), "--blocks", "4", "--rank", "2",
        "--output", path("\(name).safetensors"), "--json",
      ])
      #expect(result.status == 0, "\(result.error)")
      let report = try parse(result.out)
      #expect(try #require(report["relative_error"] as? Double) < 1e-6, "\(name)")
      let factors = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("\(name).safetensors")))
      let m = try MonarchCheckpoint.read(Float.self, from: factors)
      #expect((m.dense() - w).frobeniusNorm <= 1e-5 * max(1, w.frobeniusNorm), "\(name)")
      if name == "zero" { #expect(m.w1.scalars.allSatisfy { $0 == 0 } && report["error"] as? Double == 0) }
    }
  }

  @Test func benchReportsRatiosAgainstItsBaselines() throws {
    let result = run(["bench", "monarch", "--n", "64", "--batch", "32", "--blocks", "8", "--rounds", "1", "--projection", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    for key in [
      "dense_seconds", "monarch_seconds", "dense_gflops", "monarch_gflops", "flop_ratio", "speedup",
      "projection_seconds", "square_gemm_seconds",
    ] {
      #expect((report[key] as? Double ?? 0) > 0, "\(key)")
    }
    #expect(report["flop_ratio"] as? Double == 4)  // 2·64² / (2·2·8·64)
    // Every operation reports both rates, timed in the same run.
    for operation in ["forward", "view_forward", "transposed", "weight_gradients", "backward"] {
      for side in ["monarch_gflops", "dense_gflops", "gflops_ratio"] {
        #expect((report["\(operation)_\(side)"] as? Double ?? 0) > 0, "\(operation)_\(side)")
      }
    }
    #expect(try #require(report["error_gap"] as? Double) < 1e-8)  // the projection reaches the exact optimum
  }

  @Test func experimentReproducesTheSparseAdvantage() throws {
    let result = run(["monarch", "experiment", "--n", "16", "--seeds", "3", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
    #expect(rows.count == 5)
    let sparsest = try #require(rows.last)
    #expect(sparsest["density"] as? Double == 0.05)
    let monarch = try #require(sparsest["monarch_mse"] as? Double)
    let lowRank = try #require(sparsest["lowrank_mse"] as? Double)
    #expect(monarch <= lowRank)
  }
}
