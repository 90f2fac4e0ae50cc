/// Every `structml` command, in the order `structml --help` lists them.
enum CommandRegistry {
  static let all: [Command] = [
    DemoCommand.command,
    BenchGEMMCommand.command,
    InspectCommand.command,
    SSMHiPPOCommand.command, SSMDiscretizeCommand.command, SSMApproximateCommand.command, SSMKernelCommand.command, BenchSSMCommand.command,
  ]
}
