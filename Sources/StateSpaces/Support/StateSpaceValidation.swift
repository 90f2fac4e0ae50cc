import TensorCore

/// Checks shared by the public entry points: finite values and element counts that cannot overflow `Int`.
enum StateSpaceValidation {
  /// Throws unless every value is finite.
  ///
  /// - Parameters:
  ///   - values: The values.
  ///   - operation: Names the computation, for example `"S4"`.
  ///   - tensor: Names the argument, for example `"C̃"`.
  /// - Throws: ``StateSpaceError/nonFiniteInput(operation:tensor:index:)`` at the first bad index.
  static func requireFinite<C: Collection>(_ values: C, operation: @autoclosure () -> String, tensor: String) throws
  where C.Element == Double {
    for (index, value) in values.enumerated() where !value.isFinite {
      throw StateSpaceError.nonFiniteInput(operation: operation(), tensor: tensor, index: index)
    }
  }

  /// Throws unless the real and imaginary part of every value is finite.
  static func requireFinite<C: Collection>(_ values: C, operation: @autoclosure () -> String, tensor: String) throws
  where C.Element == Complex<Double> {
    for (index, value) in values.enumerated() where !(value.real.isFinite && value.imaginary.isFinite) {
      throw StateSpaceError.nonFiniteInput(operation: operation(), tensor: tensor, index: index)
    }
  }

  /// Throws unless every value of a computed result is finite (an overflow, not bad input).
  ///
  /// - Throws: ``StateSpaceError/overflow(operation:tensor:index:)`` at the first non-finite index.
  static func requireFiniteResult<C: Collection>(
    _ values: C, operation: @autoclosure () -> String, tensor: String
  ) throws where C.Element == Double {
    for (index, value) in values.enumerated() where !value.isFinite {
      throw StateSpaceError.overflow(operation: operation(), tensor: tensor, index: index)
    }
  }

  /// The product of sizes, or a thrown error when it overflows `Int`.
  ///
  /// - Parameters:
  ///   - factors: The sizes (non-negative).
  ///   - operation: Names the computation, for example `"S4"`.
  /// - Throws: ``StateSpaceError/sizeOverflow(operation:sizes:)`` naming the sizes.
  static func product(_ factors: [Int], operation: @autoclosure () -> String) throws -> Int {
    var result = 1
    for factor in factors {
      let (value, overflow) = result.multipliedReportingOverflow(by: factor)
      guard !overflow else {
        throw StateSpaceError.sizeOverflow(operation: operation(), sizes: factors)
      }
      result = value
    }
    return result
  }
}
