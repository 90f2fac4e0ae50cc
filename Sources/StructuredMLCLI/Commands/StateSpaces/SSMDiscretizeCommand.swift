import StateSpaces

/// `structml ssm discretize`: the discrete HiPPO matrices for a step and a rule, with a stability check.
///
/// The spectral radius comes from the eigenvalues of Ā (the diagonal for LegS and LagT, which are lower
/// triangular), with `spectral_radius_bounds`, an interval that holds it to first order in the rounding
/// (wide for ill-conditioned eigenvalues, such as LegT's at N = 64); `stability` is `stable`, `marginal` (within ``DiscreteStability/tolerance`` of 1, as FouT
/// always is) or `unstable`.
enum SSMDiscretizeCommand {
  static let command = Command(
    path: ["ssm", "discretize"],
    summary: "print the discrete A and B of a HiPPO measure for a step and a discretization rule",
    options: [
      StateSpaceCommandSupport.measureOption, StateSpaceCommandSupport.orderOption,
      .value("dt", "DT", "step Δ > 0 (default 0.01)"),
      .value("method", "METHOD", "euler, backward, bilinear or zoh (default bilinear)"),
    ]
  ) { arguments, console in
    let measure = try StateSpaceCommandSupport.measure(arguments)
    let n = try StateSpaceCommandSupport.order(arguments)
    let method = try StateSpaceCommandSupport.method(arguments, default: "bilinear")
    let dt = try arguments.double("dt", default: 0.01)!
    let discrete = try StateSpaceCommandSupport.run {
      try HiPPO.matrices(measure, order: n).discretized(step: dt, method: method)
    }
    let radius = try StateSpaceCommandSupport.Radius(discrete)
    if arguments.flag("json") {
      let extra: [(String, JSONValue)] = [
        ("measure", .string(measure.name)), ("method", .string(method.rawValue)), ("dt", .number(dt)),
      ]
      console.print(
        StateSpaceCommandSupport.json(discrete, extra: extra + radius.jsonMembers)
          .serialized())
    } else {
      console.print("HiPPO-\(measure.name), N = \(n), \(method.rawValue), dt = \(dt)")
      StateSpaceCommandSupport.printMatrices(discrete, console: console)
      console.print("spectral radius of A: \(radius.text)")
      radius.warnUnlessStable(console: console)
    }
  }
}
