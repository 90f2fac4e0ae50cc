/// Summary statistics of one tensor's elements: minimum, maximum, mean and the number of NaNs.
///
/// NaNs are counted and left out of the other three; infinities take part (a mean may be infinite).
public struct TensorStatistics: Sendable, Equatable {
  /// The number of elements.
  public let count: Int
  /// The number of NaN elements.
  public let nanCount: Int
  /// The smallest element that is not NaN, or `nil` when there is none.
  public let minimum: Double?
  /// The largest element that is not NaN, or `nil` when there is none.
  public let maximum: Double?
  /// The mean of the elements that are not NaN (accumulated in `Double`), or `nil` when there are none.
  public let mean: Double?

  /// Computes the statistics of `data`, converting the elements to `Double` a block at a time.
  ///
  /// - Parameter data: The tensor.
  /// - Throws: ``TensorFileError/unsupported(_:_:)`` for the 8-bit float types.
  /// - Complexity: O(elementCount), with a constant-size workspace.
  public init(of data: TensorData) throws {
    guard data.dtype.isNumeric else {
      throw TensorFileError.unsupported(
        "\(data.dtype.rawValue) tensor", "no statistics for 8-bit float elements (readable only as raw bytes)")
    }
    let count = data.elementCount
    var (nanCount, minimum, maximum, sum) = (0, Double.infinity, -Double.infinity, 0.0)
    data.bytes.withUnsafeBytes { raw in
      withUnsafeTemporaryAllocation(of: Double.self, capacity: 1024) { block in
        for start in stride(from: 0, to: count, by: block.count) {
          let values = UnsafeMutableBufferPointer(rebasing: block[0..<min(block.count, count - start)])
          ElementCodec.decode(raw, as: data.dtype, from: start, into: values)
          for x in values {
            if x.isNaN {
              nanCount += 1
            } else {
              minimum = Swift.min(minimum, x)
              maximum = Swift.max(maximum, x)
              sum += x
            }
          }
        }
      }
    }
    let valid = count - nanCount
    self.count = count
    self.nanCount = nanCount
    self.minimum = valid > 0 ? minimum : nil
    self.maximum = valid > 0 ? maximum : nil
    self.mean = valid > 0 ? sum / Double(valid) : nil
  }
}
