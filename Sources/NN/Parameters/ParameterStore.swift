import TensorCore

/// All parameters of a model in four contiguous, 64-byte-aligned `Float` buffers: values, gradients, and the
/// optimizer's first and second moments, laid out alike.
///
/// Each parameter is a ``ParameterSlot`` of a ``ParameterLayout`` addressed by its dotted PyTorch name or,
/// on hot paths, by its ``ParameterID``. Layers read values and accumulate gradients through views into the
/// buffers; zeroing gradients is one `memset`, and clipping and optimizer updates are single passes over the
/// slots' ranges. The store is a class: layers, optimizers and checkpoints share one.
///
/// Freezing flips flags: a frozen parameter is skipped by optimizers and clipping, and its gradient is computed
/// only while ``ParameterSlot/needsGradient`` asks for it.
public final class ParameterStore {
  /// The slots, with their current flags.
  public private(set) var layout: ParameterLayout
  /// The parameter values.
  public let values: UnsafeMutablePointer<Float>
  /// The gradients, accumulated by backward passes until ``zeroGradients()``.
  public let gradients: UnsafeMutablePointer<Float>
  /// The optimizer's first moments (AdamW's `m`, SGD's momentum buffer).
  public let firstMoments: UnsafeMutablePointer<Float>
  /// The optimizer's second moments (AdamW's `v`).
  public let secondMoments: UnsafeMutablePointer<Float>

  /// Creates a store with every value, gradient and moment zero.
  ///
  /// The sizes of a layout come from a configuration a user or a file chose, so they are checked against the
  /// machine's memory before anything is allocated.
  ///
  /// - Throws: ``ParameterError/tooLarge(parameters:bytes:available:)`` when the four buffers would not fit in
  ///   physical memory.
  /// - Complexity: O(``ParameterLayout/elementCount``): four allocations.
  public init(layout: ParameterLayout) throws(ParameterError) {
    let count = max(layout.elementCount, ParameterLayout.alignmentElements)
    let (bytes, overflow) = count.multipliedReportingOverflow(by: 4 * MemoryLayout<Float>.size)
    if overflow || !PhysicalMemory.holds(bytes), let available = PhysicalMemory.bytes {
      throw .tooLarge(parameters: layout.elementCount, bytes: overflow ? nil : bytes, available: available)
    }
    self.layout = layout
    func buffer() -> UnsafeMutablePointer<Float> {
      let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: Workspace.alignment)
      return raw.initializeMemory(as: Float.self, repeating: 0, count: count)
    }
    values = buffer()
    gradients = buffer()
    firstMoments = buffer()
    secondMoments = buffer()
  }

  deinit {
    for buffer in [values, gradients, firstMoments, secondMoments] { buffer.deallocate() }
  }

  /// The slots in declaration order.
  public var slots: [ParameterSlot] { layout.slots }
  /// The number of parameter elements (without alignment padding).
  public var parameterCount: Int { layout.slots.reduce(0) { $0 + $1.count } }
  /// The number of trainable parameter elements.
  public var trainableParameterCount: Int { layout.slots.reduce(0) { $0 + ($1.trainable ? $1.count : 0) } }

  /// The slot of a handle.
  public subscript(id: ParameterID) -> ParameterSlot { layout[id] }

  /// The handle of the parameter with this name.
  ///
  /// - Throws: ``ParameterError/unknownName(_:)``.
  public func id(of name: String) throws(ParameterError) -> ParameterID { try layout.id(of: name) }

  // MARK: Views

  /// The values of a parameter, as a flat buffer.
  public func values(_ id: ParameterID) -> UnsafeMutableBufferPointer<Float> {
    let slot = layout[id]
    return UnsafeMutableBufferPointer(start: values + slot.offset, count: slot.count)
  }

  /// The gradient of a parameter, as a flat buffer.
  public func gradient(_ id: ParameterID) -> UnsafeMutableBufferPointer<Float> {
    let slot = layout[id]
    return UnsafeMutableBufferPointer(start: gradients + slot.offset, count: slot.count)
  }

  /// The values of a parameter as a matrix: its first extent by the product of the others (a vector is one row).
  public func valueMatrix(_ id: ParameterID) -> MutableMatrixView<Float> { matrix(values, layout[id]) }

  /// The gradient of a parameter as a matrix, shaped like ``valueMatrix(_:)``.
  public func gradientMatrix(_ id: ParameterID) -> MutableMatrixView<Float> { matrix(gradients, layout[id]) }

  private func matrix(_ buffer: UnsafeMutablePointer<Float>, _ slot: ParameterSlot) -> MutableMatrixView<Float> {
    let rows = slot.shape.count == 1 ? 1 : slot.shape[0]
    return MutableMatrixView(buffer + slot.offset, rows: rows, columns: slot.count / rows)
  }

  // MARK: Tensors by name

  /// A copy of a parameter's values.
  ///
  /// - Throws: ``ParameterError/unknownName(_:)``.
  public func tensor(named name: String) throws(ParameterError) -> Tensor<Float> {
    let slot = layout[try id(of: name)]
    return Tensor(shape: slot.shape, scalars: Array(UnsafeBufferPointer(start: values + slot.offset, count: slot.count)))
  }

  /// A copy of a parameter's gradient.
  ///
  /// - Throws: ``ParameterError/unknownName(_:)``.
  public func gradientTensor(named name: String) throws(ParameterError) -> Tensor<Float> {
    let slot = layout[try id(of: name)]
    return Tensor(
      shape: slot.shape, scalars: Array(UnsafeBufferPointer(start: gradients + slot.offset, count: slot.count)))
  }

  /// Overwrites a parameter's values.
  ///
  /// - Throws: ``ParameterError/unknownName(_:)`` or ``ParameterError/shapeMismatch(name:expected:actual:)``.
  public func setValues(named name: String, to tensor: Tensor<Float>) throws(ParameterError) {
    let slot = layout[try id(of: name)]
    guard slot.shape == tensor.shape else {
      throw .shapeMismatch(name: name, expected: slot.shape, actual: tensor.shape)
    }
    tensor.scalars.withUnsafeBufferPointer { (values + slot.offset).update(from: $0.baseAddress!, count: slot.count) }
  }

  // MARK: Flags

  /// Freezes or unfreezes every parameter whose name satisfies `predicate`.
  ///
  /// Freezing also stops the gradient unless `keepingGradient` is true (LoRA-GA's frozen base weight);
  /// unfreezing always turns the gradient on.
  ///
  /// - Returns: How many parameters changed.
  @discardableResult
  public func setTrainable(
    _ trainable: Bool, keepingGradient: Bool = false, where predicate: (String) -> Bool
  ) -> Int {
    var changed = 0
    for (index, slot) in layout.slots.enumerated() where predicate(slot.name) {
      layout.update(ParameterID(index: index)) {
        $0.trainable = trainable
        $0.needsGradient = trainable || keepingGradient
      }
      changed += 1
    }
    return changed
  }

  /// Asks for (or stops) the gradient of a frozen parameter; a trainable one always keeps its gradient.
  public func setNeedsGradient(_ needsGradient: Bool, for id: ParameterID) {
    layout.update(id) { $0.needsGradient = needsGradient || $0.trainable }
  }

  /// Moves a parameter to another optimizer group.
  public func setGroup(_ group: ParameterGroup, for id: ParameterID) {
    layout.update(id) { $0.group = group }
  }

  // MARK: Passes over the buffers

  /// Sets every gradient to zero.
  ///
  /// - Complexity: O(``ParameterLayout/elementCount``), one `memset`.
  public func zeroGradients() {
    gradients.update(repeating: 0, count: layout.elementCount)
  }

  /// Multiplies the gradients of the trainable parameters by `factor` (for example `1/k` after accumulating
  /// `k` micro-batches whose losses were each averaged).
  ///
  /// - Complexity: O(trainable elements).
  public func scaleGradients(by factor: Float) {
    for slot in layout.slots where slot.trainable { scale(count: slot.count, by: factor, gradients + slot.offset) }
  }

  /// The Euclidean norm of the gradients of all trainable parameters together, accumulated in `Double`.
  ///
  /// - Complexity: O(trainable elements).
  public func gradientNorm() -> Double {
    var sum = 0.0
    for slot in layout.slots where slot.trainable {
      let g = gradients + slot.offset
      for i in 0..<slot.count { sum += Double(g[i]) * Double(g[i]) }
    }
    return sum.squareRoot()
  }

  /// Scales the trainable gradients so that their global norm is at most `maxNorm`, as PyTorch's
  /// `clip_grad_norm_` does (factor `maxNorm / (norm + 1e-6)`, applied only when below 1).
  ///
  /// - Returns: The global norm before clipping.
  /// - Complexity: O(trainable elements), two passes.
  @discardableResult
  public func clipGradients(maxNorm: Float) -> Double {
    precondition(maxNorm > 0, "ParameterStore.clipGradients: maxNorm \(maxNorm) must be positive")
    let norm = gradientNorm()
    let factor = Double(maxNorm) / (norm + 1e-6)
    if factor < 1 { scaleGradients(by: Float(factor)) }
    return norm
  }
}
