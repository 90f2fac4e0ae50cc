import Foundation
import TensorCore
import TensorFiles

/// Feature rows and one class label each, held in memory.
public struct ClassificationDataset: Sendable {
  /// `examples × featureCount` features.
  public let features: Tensor<Float>
  /// One class in `0..<classes` per example.
  public let labels: [Int32]
  /// The number of classes (one more than the largest label, unless given).
  public let classes: Int
  /// Where the examples came from, for messages (`built-in` or a file name).
  public let source: String

  /// The number of examples.
  public var count: Int { labels.count }
  /// The width of a feature row.
  public var featureCount: Int { features.shape[1] }

  /// Bundles features and labels.
  ///
  /// - Precondition: `features` is `labels.count × F` and every label is in `0..<classes`.
  public init(features: Tensor<Float>, labels: [Int32], classes: Int, source: String) {
    precondition(features.shape.count == 2 && features.shape[0] == labels.count, "features and labels disagree")
    self.features = features
    self.labels = labels
    self.classes = classes
    self.source = source
  }

  /// Reads `.npy` features (float32, `examples × features`) and labels (integers, one per example).
  ///
  /// - Parameters:
  ///   - featuresFile: The features' path.
  ///   - labelsFile: The labels' path (a 1-D array, or `examples × 1`).
  /// - Throws: ``DataError`` naming the file: unreadable, wrong element type or shape, empty, a non-finite
  ///   feature, a negative or fractional label, or counts that disagree.
  public init(featuresFile: String, labelsFile: String) throws(DataError) {
    let featureData = try Self.read(featuresFile)
    guard featureData.dtype == .float32 else {
      throw .wrongElementType(file: featuresFile, dtype: featureData.dtype.rawValue, expected: "float32")
    }
    guard featureData.shape.count == 2 else {
      throw .wrongShape(file: featuresFile, shape: featureData.shape, expected: "[examples, features]")
    }
    guard featureData.shape[0] > 0 else { throw .empty(file: featuresFile) }
    guard featureData.shape[1] > 0 else {
      throw .wrongShape(file: featuresFile, shape: featureData.shape, expected: "at least one feature per example")
    }
    let features: Tensor<Float>
    do { features = try featureData.tensor(as: Float.self) } catch {
      throw .unreadable(file: featuresFile, reason: "\(error)")
    }
    if let index = features.scalars.firstIndex(where: { !$0.isFinite }) {
      throw .invalidValue(file: featuresFile, index: index, value: Double(features.scalars[index]), expected: "a finite feature")
    }
    let labelData = try Self.read(labelsFile)
    let integerTypes: [DType] = [.int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64]
    guard integerTypes.contains(labelData.dtype) else {
      throw .wrongElementType(file: labelsFile, dtype: labelData.dtype.rawValue, expected: "an integer type")
    }
    guard labelData.shape.count == 1 || (labelData.shape.count == 2 && labelData.shape[1] == 1) else {
      throw .wrongShape(file: labelsFile, shape: labelData.shape, expected: "[examples] or [examples, 1]")
    }
    guard labelData.shape[0] > 0 else { throw .empty(file: labelsFile) }
    let values: Tensor<Double>
    do { values = try labelData.tensor(as: Double.self) } catch {
      throw .unreadable(file: labelsFile, reason: "\(error)")
    }
    guard values.count == features.shape[0] else {
      throw .countMismatch(
        features: featuresFile, labels: labelsFile, featureRows: features.shape[0], labelCount: values.count)
    }
    var labels: [Int32] = []
    labels.reserveCapacity(values.count)
    for (index, value) in values.scalars.enumerated() {
      guard value >= 0, value < Double(Int32.max) else {
        throw .invalidValue(file: labelsFile, index: index, value: value, expected: "a class in 0..<\(Int32.max)")
      }
      labels.append(Int32(value))
    }
    self.init(
      features: features, labels: labels, classes: Int(labels.max() ?? 0) + 1,
      source: URL(fileURLWithPath: featuresFile).lastPathComponent)
  }

  private static func read(_ path: String) throws(DataError) -> TensorData {
    do { return try NPYFile.read(URL(fileURLWithPath: path)) } catch {
      throw .unreadable(file: path, reason: "\(error)")
    }
  }
}
