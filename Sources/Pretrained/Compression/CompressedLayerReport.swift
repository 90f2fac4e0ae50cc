import TensorFiles
import Monarch

/// What the compression of one weight cost: its projection error, time, and optionally the error of a
/// truncated SVD at the same parameter count.
public struct CompressedLayerReport: Sendable {
  /// The planned layer.
  public let layer: MonarchCompressionPlan.Layer
  /// `‖W − M‖_F`.
  public let error: Double
  /// `‖W‖_F`.
  public let norm: Double
  /// The seconds the projection took.
  public let seconds: Double
  /// The low-rank baseline at the layout's parameter count, when it was asked for.
  public let lowRank: LowRankBaseline?

  /// `‖W − M‖_F / ‖W‖_F`, or 0 for a zero matrix.
  public var relativeError: Double { norm > 0 ? error / norm : 0 }

  /// Creates a report from its figures.
  public init(layer: MonarchCompressionPlan.Layer, error: Double, norm: Double, seconds: Double, lowRank: LowRankBaseline?) {
    (self.layer, self.error, self.norm, self.seconds, self.lowRank) = (layer, error, norm, seconds, lowRank)
  }
}

/// One compressed layer: its two factors in the output's storage type, and its report.
public struct CompressedLayer: Sendable {
  /// The first factor, `(k, q, p)`.
  public let w1: TensorData
  /// The second factor, `(l, s, r)`.
  public let w2: TensorData
  /// The layer's figures.
  public let report: CompressedLayerReport

  /// Creates a compressed layer from its factors and report.
  public init(w1: TensorData, w2: TensorData, report: CompressedLayerReport) {
    (self.w1, self.w2, self.report) = (w1, w2, report)
  }
}
