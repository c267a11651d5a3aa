import MedaugModels

/// One named tensor a layer stores in the weights file: a trainable weight
/// with its gradient, or a BatchNorm running statistic (not trainable).
///
/// Names and shapes follow docs/weights-format.md (`down.1.conv.weight`,
/// OIHW; `up.0.convt.weight`, IOHW; `down.1.bn.running_var`, per channel),
/// so the trainer writes the file the engine loads without renaming.
/// Storage is allocated once at creation; optimisers update `value` in place.
public final class Parameter {
    /// Full tensor name in the weights file.
    public let name: String
    /// Shape in the weights file (OIHW, IOHW or `[channels]`).
    public let shape: [Int]
    /// Whether an optimiser updates it (false for running statistics, which
    /// BatchNorm updates itself).
    public let isTrainable: Bool
    /// The values, `shape` product floats.
    public let value: UnsafeMutableBufferPointer<Float>
    /// d(objective)/d(value), accumulated by `backward` until `zeroGradient`
    /// (PyTorch semantics: two backward passes add). Zero for running stats.
    public let gradient: UnsafeMutableBufferPointer<Float>
    /// When false, backward passes leave `gradient` as it is and skip the
    /// work only it needs (PyTorch's `requires_grad`): the generator's step
    /// of pix2pix propagates through the discriminator without computing the
    /// discriminator's weight gradients, which it would discard.
    public var requiresGradient = true

    /// A parameter of `shape` with every value `initialValue` and zero gradient.
    public init(name: String, shape: [Int], isTrainable: Bool = true, initialValue: Float = 0) {
        self.name = name
        self.shape = shape
        self.isTrainable = isTrainable
        let count = shape.reduce(1, *)
        value = .allocate(capacity: count)
        value.initialize(repeating: initialValue)
        gradient = .allocate(capacity: count)
        gradient.initialize(repeating: 0)
    }

    deinit {
        value.deallocate()
        gradient.deallocate()
    }

    /// Floats in the tensor.
    public var count: Int { value.count }

    /// Sets the gradient to zero (before a new accumulation).
    public func zeroGradient() { gradient.update(repeating: 0) }

    /// Replaces the values, e.g. from a weights file or a checkpoint.
    /// - Throws: `TrainerError.shapeMismatch` if the count differs.
    public func load(_ values: [Float]) throws(TrainerError) {
        guard values.count == count else {
            throw .shapeMismatch("tensor '\(name)' has \(count) floats (shape \(shape)); \(values.count) given")
        }
        _ = value.update(from: values)
    }

    /// The values as an array (allocates; for writing files).
    public func values() -> [Float] { Array(value) }

    /// RandomNormal(0, `standardDeviation`) initialisation (pix2pix and the
    /// TensorFlow tutorial use 0.02), the same stream `RandomInit` draws for
    /// this name and seed, so a trainer-initialised network equals
    /// `medaug model init` with that seed.
    public func fillNormal(seed: UInt64, standardDeviation: Float = 0.02) {
        let normals = RandomInit.normals(count: count, seed: seed, name: name, mean: 0,
                                         standardDeviation: standardDeviation)
        _ = value.update(from: normals)
    }
}
