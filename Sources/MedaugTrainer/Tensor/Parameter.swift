import MedaugKernels
import MedaugModels
import MedaugSupport

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
    /// overwrote it first, or kept it as a product (`deferGradient`), which
    /// a read writes. So read it outside parallel regions (a read may
    /// write), and take the buffer once before handing it to threads.
    public var gradient: UnsafeMutableBufferPointer<Float> {
        if isDeferred {
            product.write(into: storage.baseAddress!, ldc: product.n, threads: 1)
            isDeferred = false
        } else if isCleared {
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
    /// The gradient is `product`, not yet written to `storage`.
    private var isDeferred = false
    private let product = ShallowProduct()

    /// A parameter of `shape` with every value `initialValue` and zero gradient.
    public init(name: String, shape: [Int], isTrainable: Bool = true, initialValue: Float = 0) {
        self.name = name
        self.shape = shape
        self.isTrainable = isTrainable
        let count = shape.reduce(1, *)
        value = CacheAligned.allocateBuffer(Float.self, capacity: count)
        value.initialize(repeating: initialValue)
        storage = CacheAligned.allocateBuffer(Float.self, capacity: count)
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
    public func zeroGradient() {
        isCleared = true
        isDeferred = false
    }

    /// The gradient's storage for a backward pass that is about to add its
    /// contribution, and whether it must overwrite instead: true when the
    /// gradient was cleared and nothing has been added since, in which case
    /// the storage holds stale values and the caller must write every
    /// element (a GEMM with β = 0). Either way the gradient counts as
    /// written afterwards, so call it only right before that write.
    /// A deferred gradient (`deferGradient`) is written first, on `threads`.
    public func gradientForWriting(threads: Int = 1) -> (buffer: UnsafeMutableBufferPointer<Float>, overwrite: Bool) {
        if isDeferred {
            product.write(into: storage.baseAddress!, ldc: product.n, threads: threads)
            isDeferred = false
        }
        defer { isCleared = false }
        return (storage, isCleared)
    }

    /// Keeps the gradient as the product A·Bᵀ (A m×k at `lda`, B stored
    /// n×k at `ldb`; the parameter's m·n values row-major) instead of
    /// writing it, when it was cleared and nothing was added since and the
    /// product is one `ShallowProduct` keeps (k ≤ 16, a CPU with the strips
    /// kernel). `Adam` then consumes it block by block without it ever being
    /// stored; reading `gradient`, or another backward pass adding to it,
    /// writes it first.
    /// - Returns: false (nothing done) otherwise: the caller writes the
    ///   gradient itself.
    public func deferGradient(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int, threads: Int) -> Bool {
        guard isCleared, m * n == count,
              product.keep(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, threads: threads) else { return false }
        isCleared = false
        isDeferred = true
        return true
    }

    /// Adds A·Bᵀ to the gradient (A m×k at `lda`, B stored n×k at `ldb`;
    /// the parameter's m·n values row-major), as a weight-gradient GEMM:
    /// kept as a product (`deferGradient`) when `deferrable` (the layer's
    /// only contribution of the pass: a batch of one image) and it can be,
    /// else written, overwriting a cleared gradient (`gradientForWriting`).
    public func addProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                           ldb: Int, deferrable: Bool, threads: Int) {
        if deferrable && deferGradient(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, threads: threads) { return }
        let (gradient, overwrite) = gradientForWriting(threads: threads)
        Gemm.multiply(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: true,
                      c: gradient.baseAddress!, ldc: n, accumulate: !overwrite, threads: threads)
    }

    /// The gradient as an optimiser consumes it: a deferred product as it
    /// is, anything else as values (zeroed first if cleared). Like
    /// `gradient`, take it outside parallel regions.
    func gradientSource() -> GradientSource {
        isDeferred ? .product(product) : .values(gradient)
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

/// A parameter's gradient as `Parameter.gradientSource` hands it out.
enum GradientSource {
    /// The values, m·n floats.
    case values(UnsafeMutableBufferPointer<Float>)
    /// Not written: C = A·Bᵀ, row-major, as many values as the parameter.
    case product(ShallowProduct)
}
