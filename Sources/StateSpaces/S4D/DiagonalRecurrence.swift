extension DiagonalStateSpace {
  /// The output of the channel run as a recurrence (step mode) on one sequence, O(N) per step.
  ///
  /// With the weights `w_n = 2C_n B̄_n` and ratios `z_n = Ā_n` of the kernel, each stored mode keeps
  /// `s_n ← z_n s_n + u_t` and the output is `y_t = Re Σ_n w_n s_n`, which equals the causal convolution of
  /// u with ``S4DKernel/kernels(_:length:method:)``.
  ///
  /// - Parameters:
  ///   - input: The sequence u.
  ///   - method: ZOH or bilinear.
  /// - Returns: y, one value per input.
  /// - Throws: ``StateSpaceError`` when the input holds NaN or an infinity.
  /// - Complexity: O(N·L), on plain doubles (real and imaginary parts of the modes in separate arrays).
  public func recurrentOutput(_ input: [Double], method: DiagonalDiscretization) throws -> [Double] {
    try StateSpaceValidation.requireFinite(input, operation: "S4D recurrence", tensor: "the input sequence")
    let modes = a.count
    var weightRe = [Double](repeating: 0, count: modes), weightIm = weightRe
    var ratioRe = weightRe, ratioIm = weightRe
    for n in 0..<modes {
      let (weight, ratio) = kernelTerms(n, method: method)
      (weightRe[n], weightIm[n]) = weight
      (ratioRe[n], ratioIm[n]) = ratio
    }
    var stateRe = [Double](repeating: 0, count: modes), stateIm = stateRe
    var output = [Double](repeating: 0, count: input.count)
    for t in input.indices {
      let u = input[t]
      var y = 0.0
      for n in 0..<modes {
        let re = ratioRe[n] * stateRe[n] - ratioIm[n] * stateIm[n] + u
        let im = ratioRe[n] * stateIm[n] + ratioIm[n] * stateRe[n]
        (stateRe[n], stateIm[n]) = (re, im)
        y += weightRe[n] * re - weightIm[n] * im
      }
      output[t] = y
    }
    return output
  }
}
