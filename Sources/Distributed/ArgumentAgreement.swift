extension ProcessGroup {
  /// Checks that every rank was started with the same `arguments`: rank 0 broadcasts a 64-bit FNV-1a hash
  /// of them, every rank compares it with its own, and all ranks learn which ranks differ, so that each throws
  /// ``DistributedError/ranksDisagree(what:)`` (naming them) or none does. Collective: call it on every rank.
  public func checkArgumentsAgree(_ arguments: [String]) throws(DistributedError) {
    guard size > 1 else { return }
    let own = Self.hash(arguments)
    var bytes = rank == 0 ? withUnsafeBytes(of: own.littleEndian) { Array($0) } : []
    try broadcast(&bytes, root: 0)
    let rootHash = bytes.count == 8 ? bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } : 0
    var differs = [Double](repeating: 0, count: size)
    differs[rank] = rootHash == own ? 0 : 1
    try throwingDistributedErrors { try differs.withUnsafeMutableBufferPointer { try allReduce($0, .sum) } }
    let ranks = differs.indices.filter { differs[$0] != 0 }
    guard ranks.isEmpty else {
      let list = ranks.map(String.init).joined(separator: ", ")
      throw .ranksDisagree(
        what: "the command-line arguments: rank\(ranks.count == 1 ? "" : "s") \(list) differ\(ranks.count == 1 ? "s" : "") from rank 0")
    }
  }

  /// The 64-bit FNV-1a hash of the arguments, each followed by a zero byte.
  static func hash(_ arguments: [String]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for argument in arguments {
      for byte in argument.utf8 + [0] { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    }
    return hash
  }
}
