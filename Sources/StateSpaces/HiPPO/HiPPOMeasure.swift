/// The measure a HiPPO system projects the input history onto, with its time scale where it has one.
///
/// Each measure fixes an orthogonal basis and the window of the past that the state summarizes:
///
/// | measure | window | basis |
/// |---|---|---|
/// | ``legS`` | `[0, t]`, scaled with t | Legendre |
/// | ``legT(window:)`` | `[t − θ, t]` | Legendre |
/// | ``lagT(beta:)`` | `(−∞, t]`, weight `e^{−(t−s)}` | Laguerre |
/// | ``fouT`` | `[t − 1, t]` | Fourier |
public enum HiPPOMeasure: Sendable, Equatable {
  /// Scaled Legendre: uniform weight on the whole history `[0, t]`.
  case legS
  /// Translated Legendre: uniform weight on the sliding window `[t − θ, t]`.
  ///
  /// `window: 2` is the halved matrices that `state-spaces/s4` calls `legt`; `window: 1` is the unhalved form
  /// of the HiPPO paper.
  case legT(window: Double)
  /// Translated Laguerre: exponentially decaying weight on the whole past; `beta` scales `B` (1 by default).
  case lagT(beta: Double)
  /// Translated Fourier: a sliding window of length 1 with a Fourier basis.
  case fouT

  /// The measures by their command-line names: `legs`, `legt` (window 2), `lagt` (β = 1), `fout`.
  ///
  /// - Parameter name: One of `legs`, `legt`, `lagt`, `fout` (case-insensitive).
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` naming the unknown measure.
  public init(name: String) throws {
    switch name.lowercased() {
    case "legs": self = .legS
    case "legt": self = .legT(window: 2)
    case "lagt": self = .lagT(beta: 1)
    case "fout": self = .fouT
    default:
      throw StateSpaceError.unknownName(kind: "HiPPO measure", name: name, choices: ["legs", "legt", "lagt", "fout"])
    }
  }

  /// The short name: `legs`, `legt`, `lagt` or `fout`.
  public var name: String {
    switch self {
    case .legS: return "legs"
    case .legT: return "legt"
    case .lagT: return "lagt"
    case .fouT: return "fout"
    }
  }
}
