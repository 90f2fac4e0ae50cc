/// A `FILE.safetensors:TENSOR` argument: a file and, optionally, one tensor (or layer) in it.
enum TensorFileSpecification {
  /// A `FILE.safetensors:TENSOR` specification split into the file and the tensor (or layer) name, or a plain
  /// path with no tensor.
  ///
  /// Only a colon after a `.safetensors` file name separates a tensor, so paths holding colons stay whole and
  /// tensor names may hold colons and any other characters.
  static func split(_ specification: String) -> (path: String, tensor: String?) {
    var search = specification.endIndex
    while let colon = specification[..<search].lastIndex(of: ":") {
      if specification[..<colon].hasSuffix(".safetensors") {
        return (String(specification[..<colon]), String(specification[specification.index(after: colon)...]))
      }
      search = colon
    }
    return (specification, nil)
  }
}
