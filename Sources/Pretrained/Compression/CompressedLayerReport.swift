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
}
