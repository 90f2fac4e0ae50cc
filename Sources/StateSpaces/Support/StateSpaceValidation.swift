import TensorCore

/// Checks shared by the public entry points: finite values and element counts that cannot overflow `Int`.
enum StateSpaceValidation {
  /// Throws unless every value is finite.
  ///
  /// - Parameters:
  ///   - values: The values.
  ///   - what: Names the argument in the message, for example `"S4: C̃"`.
  /// - Throws: ``StateSpaceError/invalidInput(_:)`` naming `what` and the first bad index.
  static func requireFinite<C: Collection>(_ values: C, _ what: @autoclosure () -> String) throws
  where C.Element == Double {
    for (index, value) in values.enumerated() where !value.isFinite {
      throw StateSpaceError.invalidInput("\(what()) holds a non-finite value (\(value)) at index \(index)")
    }
  }

  /// Throws unless the real and imaginary part of every value is finite.
  static func requireFinite<C: Collection>(_ values: C, _ what: @autoclosure () -> String) throws
  where C.Element == Complex<Double> {
    for (index, value) in values.enumerated() where !(value.real.isFinite && value.imaginary.isFinite) {
      throw StateSpaceError.invalidInput("\(what()) holds a non-finite value (\(value)) at index \(index)")
    }
  }

  /// Throws unless every value of a computed result is finite (an overflow, not bad input).
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(_:)`` naming `what`.
  static func requireFiniteResult<C: Collection>(_ values: C, _ what: @autoclosure () -> String) throws
  where C.Element == Double {
    for (index, value) in values.enumerated() where !value.isFinite {
      throw StateSpaceError.numericalFailure("\(what()) overflows: non-finite value (\(value)) at index \(index)")
    }
  }

  /// The product of sizes, or a thrown error when it overflows `Int`.
  ///
  /// - Parameters:
  ///   - factors: The sizes (non-negative).
  ///   - what: Names the product in the message, for example `"S4: channels × length"`.
  /// - Throws: ``StateSpaceError/invalidParameter(_:)`` naming the sizes.
  static func product(_ factors: [Int], _ what: @autoclosure () -> String) throws -> Int {
    var result = 1
    for factor in factors {
      let (value, overflow) = result.multipliedReportingOverflow(by: factor)
      guard !overflow else {
        throw StateSpaceError.invalidParameter(
          "\(what()): the sizes \(factors.map(String.init).joined(separator: " × ")) overflow the element count")
      }
      result = value
    }
    return result
  }
}
