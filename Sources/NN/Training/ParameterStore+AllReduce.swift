import Distributed

extension ParameterStore {
  /// Sums (or averages) the trainable parameters' gradients over the ranks of `group`, in place: one collective
  /// per run of adjacent trainable slots (one over the whole gradient buffer when every parameter trains).
  ///
  /// - Throws: What the group's `allReduce` throws.
  /// - Complexity: O(trainable elements) here, plus the collective's cost.
  public func allReduceGradients(over group: any ProcessGroup, _ operation: ReduceOperation) throws(DistributedError) {
    guard group.size > 1 else { return }
    for run in trainableRuns() {
      try group.allReduce(UnsafeMutableBufferPointer(start: gradients + run.lowerBound, count: run.count), operation)
    }
  }

  /// The element ranges of the trainable slots, consecutive trainable slots (with the alignment padding between
  /// them, which stays zero) merged into one range; slots lie in the buffers in declaration order.
  func trainableRuns() -> [Range<Int>] {
    var runs: [Range<Int>] = []
    var extendsLast = false
    for slot in layout.slots where slot.count > 0 {
      guard slot.trainable else {
        extendsLast = false
        continue
      }
      if extendsLast, let last = runs.last {
        runs[runs.count - 1] = last.lowerBound..<(slot.offset + slot.count)
      } else {
        runs.append(slot.offset..<(slot.offset + slot.count))
      }
      extendsLast = true
    }
    return runs
  }
}
