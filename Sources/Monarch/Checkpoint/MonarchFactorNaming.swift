/// How the two factors of a Monarch layer are named in a checkpoint.
///
/// Both namings store the same tensors in the same layout, `w1: (k, q, p)` and `w2: (l, s, r)`; only the names
/// differ, so a checkpoint moves between this library and PyTorch without reshaping.
public enum MonarchFactorNaming: String, Sendable, CaseIterable {
  /// `w1` and `w2`, this library's names (`PREFIX.w1`, `PREFIX.w2`).
  case factors
  /// `blkdiag1` and `blkdiag2`, the parameter names of the PyTorch `MonarchLinear` layer (HazyResearch/fly and
  /// the packages derived from it), whose state dictionary then loads the factors directly.
  case pytorch

  /// The name of the first factor's tensor without its layer prefix.
  public var firstFactorName: String { self == .factors ? "w1" : "blkdiag1" }
  /// The name of the second factor's tensor without its layer prefix.
  public var secondFactorName: String { self == .factors ? "w2" : "blkdiag2" }
}
