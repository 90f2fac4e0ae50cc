import StateSpaces

/// `structml ssm hippo`: the continuous HiPPO matrices of a measure.
enum SSMHiPPOCommand {
  static let command = Command(
    path: ["ssm", "hippo"],
    summary: "print the HiPPO matrices A and B of a measure",
    options: [StateSpaceCommandSupport.measureOption, StateSpaceCommandSupport.orderOption]
  ) { arguments, console in
    let measure = try StateSpaceCommandSupport.measure(arguments)
    let n = try StateSpaceCommandSupport.order(arguments)
    let system = try StateSpaceCommandSupport.run { try HiPPO.matrices(measure, order: n) }
    if arguments.flag("json") {
      console.print(StateSpaceCommandSupport.json(system, extra: [("measure", .string(measure.name))]).serialized())
    } else {
      console.print("HiPPO-\(measure.name), N = \(n)")
      StateSpaceCommandSupport.printMatrices(system, console: console)
    }
  }
}
