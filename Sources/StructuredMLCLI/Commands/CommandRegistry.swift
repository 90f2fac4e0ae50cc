/// Every `structml` command, in the order `structml --help` lists them.
enum CommandRegistry {
  static let all: [Command] = [
    DemoCommand.command,
    TrainCommand.command,
    EvalCommand.command,
    GenerateCommand.command,
    InspectCommand.command,
    MonarchProjectCommand.command,
    MonarchApplyCommand.command,
    MonarchCompressCommand.command,
    MonarchExperimentCommand.command,
    SSMHiPPOCommand.command,
    SSMDiscretizeCommand.command,
    SSMApproximateCommand.command,
    SSMKernelCommand.command,
    ProbmapCommand.command,
    LoRAFinetuneCommand.command,
    BenchGEMMCommand.command,
    BenchFFTCommand.command,
    BenchFilesCommand.command,
    BenchMonarchCommand.command,
    BenchSSMCommand.command,
    BenchProbmapCommand.command,
    BenchTrainCommand.command,
  ]
}
