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
    ///
    /// `zeroGradient` clears lazily: the storage is zeroed when first read
    /// here, unless a backward pass took it with `gradientForWriting` and
    /// overwrote it first. So read it outside parallel regions (a read may
    /// write), and take the buffer once before handing it to threads.
    public var gradient: UnsafeMutableBufferPointer<Float> {
        if isCleared {
            storage.update(repeating: 0)
            isCleared = false
        }
        return storage
    }
    /// When false, backward passes leave `gradient` as it is and skip the
    /// work only it needs (PyTorch's `requires_grad`): the generator's step
    /// of pix2pix propagates through the discriminator without computing the
    /// discriminator's weight gradients, which it would discard.
    public var requiresGradient = true

    private let storage: UnsafeMutableBufferPointer<Float>
    /// The gradient is zero but `storage` may still hold the last one.
    private var isCleared = false

    /// A parameter of `shape` with every value `initialValue` and zero gradient.
    public init(name: String, shape: [Int], isTrainable: Bool = true, initialValue: Float = 0) {
        self.name = name
        self.shape = shape
        self.isTrainable = isTrainable
        let count = shape.reduce(1, *)
        value = .allocate(capacity: count)
        value.initialize(repeating: initialValue)
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0)
    }

    deinit {
        value.deallocate()
        storage.deallocate()
    }

    /// Floats in the tensor.
    public var count: Int { value.count }

    /// Sets the gradient to zero (before a new accumulation), without
    /// touching memory yet (see `gradient`): the paper generator's 218 MB of
    /// gradients would otherwise be zeroed every step only for most of them
    /// to be overwritten by their weight-gradient GEMMs.
    public func zeroGradient() { isCleared = true }

    /// The gradient's storage for a backward pass that is about to add its
    /// contribution, and whether it must overwrite instead: true when the
    /// gradient was cleared and nothing has been added since, in which case
    /// the storage holds stale values and the caller must write every
    /// element (a GEMM with β = 0). Either way the gradient counts as
    /// written afterwards, so call it only right before that write.
    public func gradientForWriting() -> (buffer: UnsafeMutableBufferPointer<Float>, overwrite: Bool) {
        defer { isCleared = false }
        return (storage, isCleared)
    }

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
