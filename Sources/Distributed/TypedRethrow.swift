/// Runs `body`, whose errors can only be ``DistributedError`` (it calls collectives inside the standard
/// library's untyped-rethrowing `withUnsafe...` functions), and throws them typed.
func throwingDistributedErrors<T>(_ body: () throws -> T) throws(DistributedError) -> T {
  do {
    return try body()
  } catch let error as DistributedError {
    throw error
  } catch {
    preconditionFailure("only DistributedError is thrown inside a collective, not \(error)")
  }
}
