import TensorCore

/// A built-in classification task whose best achievable loss is known: Gaussian features labelled by a fixed
/// random teacher network.
///
/// Features are `x ~ N(0, I)`; the teacher computes logits `t(x) = scale · W₂ tanh(W₁ x)` with
/// `W₁ ~ N(0, 1/features)` (`teacherHidden × features`) and `W₂ ~ N(0, 1/teacherHidden)`, and each label is drawn
/// from `softmax(t(x))`. No model can beat the teacher in expectation, so the best possible mean cross-entropy
/// on a set of examples is the mean entropy of the teacher's distributions there,
/// `−(1/n) Σₙ Σ_c p(c | xₙ) log p(c | xₙ)` (``bestPossibleLoss(on:indices:)``).
///
/// JSON keys: `examples`, `features`, `classes`, `teacher_hidden`, `scale`, `seed`.
public struct TeacherClassificationTask: Codable, Sendable, Equatable {
  /// The number of examples drawn.
  public var examples: Int
  /// The width of a feature row.
  public var features: Int
  /// The number of classes.
  public var classes: Int
  /// The hidden width of the teacher.
  public var teacherHidden: Int
  /// The factor on the teacher's logits (larger: less label noise, lower best loss).
  public var scale: Double
  /// The seed of the features, the teacher and the labels.
  public var seed: UInt64

  /// Creates a task.
  public init(examples: Int = 16384, features: Int = 32, classes: Int = 8, teacherHidden: Int = 32, scale: Double = 4, seed: UInt64 = 0) {
    self.examples = examples
    self.features = features
    self.classes = classes
    self.teacherHidden = teacherHidden
    self.scale = scale
    self.seed = seed
  }

  private enum CodingKeys: String, CodingKey {
    case examples, features, classes, teacherHidden = "teacher_hidden", scale, seed
  }

  /// Decodes a task; keys left out keep the defaults of ``init(examples:features:classes:teacherHidden:scale:seed:)``.
  ///
  /// - Throws: `DecodingError` for a value of the wrong type.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let defaults = TeacherClassificationTask()
    examples = try c.decodeIfPresent(Int.self, forKey: .examples) ?? defaults.examples
    features = try c.decodeIfPresent(Int.self, forKey: .features) ?? defaults.features
    classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? defaults.classes
    teacherHidden = try c.decodeIfPresent(Int.self, forKey: .teacherHidden) ?? defaults.teacherHidden
    scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? defaults.scale
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
  }

  /// The source name of built-in data in messages.
  public static let sourceName = "built-in teacher task"

  /// Checks every size and the scale.
  ///
  /// - Throws: ``DataError/invalidSetting(name:value:)`` naming the setting.
  public func validate() throws(DataError) {
    for (name, value) in [("examples", examples), ("features", features), ("classes", classes), ("teacher_hidden", teacherHidden)]
    where value < 1 || value > 1 << 24 {
      throw .invalidSetting(name: name, value: Double(value))
    }
    guard classes >= 2 else { throw .invalidSetting(name: "classes", value: Double(classes)) }
    guard scale.isFinite, scale >= 0 else { throw .invalidSetting(name: "scale", value: scale) }
    // Memory (features and the teacher's probabilities) and time (the teacher's forward pass over every
    // example) stay bounded whatever a configuration file asks for: at most 2²⁸ values and 2³² multiply-adds.
    guard examples * features <= 1 << 28, examples * classes <= 1 << 28 else {
      throw .invalidSetting(name: "examples", value: Double(examples))
    }
    guard examples * teacherHidden * (features + classes) <= 1 << 32 else {
      throw .invalidSetting(name: "teacher_hidden", value: Double(teacherHidden))
    }
  }

  /// The teacher's class probabilities for each example, `examples × classes`, in Double.
  ///
  /// - Complexity: O(examples·teacherHidden·(features + classes)).
  public func teacherProbabilities(_ x: Tensor<Float>) -> [Double] {
    var generator = SeededGenerator(seed: seed ^ 0x7EAC_4E12_0000_0001)
    let w1 = (0..<(teacherHidden * features)).map { _ in generator.nextNormal() / Double(features).squareRoot() }
    let w2 = (0..<(classes * teacherHidden)).map { _ in generator.nextNormal() / Double(teacherHidden).squareRoot() }
    let n = x.shape[0]
    var probabilities = [Double](repeating: 0, count: n * classes)
    var hidden = [Double](repeating: 0, count: teacherHidden)
    var logits = [Double](repeating: 0, count: classes)
    for e in 0..<n {
      for h in 0..<teacherHidden {
        var sum = 0.0
        for f in 0..<features { sum += w1[h * features + f] * Double(x.scalars[e * features + f]) }
        hidden[h] = Double.hyperbolicTangent(sum)
      }
      var maximum = -Double.infinity
      for c in 0..<classes {
        var sum = 0.0
        for h in 0..<teacherHidden { sum += w2[c * teacherHidden + h] * hidden[h] }
        logits[c] = scale * sum
        maximum = max(maximum, logits[c])
      }
      var total = 0.0
      for c in 0..<classes { total += Double.exponential(logits[c] - maximum) }
      for c in 0..<classes { probabilities[e * classes + c] = Double.exponential(logits[c] - maximum) / total }
    }
    return probabilities
  }

  /// Draws the features and the labels.
  ///
  /// - Throws: What ``validate()`` throws.
  /// - Complexity: O(examples·teacherHidden·(features + classes)).
  public func makeDataset() throws(DataError) -> ClassificationDataset {
    try validate()
    var generator = SeededGenerator(seed: seed)
    let x = Tensor<Float>(shape: [examples, features], scalars: (0..<(examples * features)).map { _ in Float(generator.nextNormal()) })
    let probabilities = teacherProbabilities(x)
    var labels: [Int32] = []
    labels.reserveCapacity(examples)
    for e in 0..<examples {
      var u = generator.nextUnit()
      var label = classes - 1
      for c in 0..<classes {
        u -= probabilities[e * classes + c]
        if u < 0 {
          label = c
          break
        }
      }
      labels.append(Int32(label))
    }
    return ClassificationDataset(features: x, labels: labels, classes: classes, source: Self.sourceName)
  }

  /// The teacher's mean entropy over the examples at `indices` of `dataset` (drawn by this task): the
  /// expected cross-entropy of the best possible classifier there, in nats.
  public func bestPossibleLoss(on dataset: ClassificationDataset, indices: [Int]) -> Double {
    let rows = Tensor<Float>(shape: [indices.count, features], scalars: indices.flatMap { e in
      dataset.features.scalars[(e * features)..<((e + 1) * features)]
    })
    let probabilities = teacherProbabilities(rows)
    var entropy = 0.0
    for value in probabilities where value > 0 { entropy -= value * Double.logarithm(value) }
    return entropy / Double(max(indices.count, 1))
  }
}
