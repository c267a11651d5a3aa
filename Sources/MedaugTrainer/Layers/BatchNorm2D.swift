import MedaugKernels
import MedaugSupport

/// BatchNorm over the channels of an NCHW tensor, PyTorch semantics.
///
/// Training: per channel, mean μ and biased variance σ² over N·H·W;
/// y = (x − μ)/√(σ² + ε)·γ + β; then running_mean ← (1 − m)·running_mean + m·μ
/// and running_var ← (1 − m)·running_var + m·σ²·M/(M − 1) with M = N·H·W (the
/// unbiased variance, as PyTorch stores). Eval: the running statistics in
/// place of μ and σ². Statistics are summed in Double.
///
/// Backward in training differentiates through μ and σ²:
/// dx = γ/√(σ² + ε)·(dy − mean(dy) − x̂·mean(dy·x̂)), with x̂ recomputed from the
/// saved input rather than stored (one extra pass instead of a buffer the
/// size of the activation).
public final class BatchNorm2D: Layer {
    /// Tensor-name prefix and the name used in error messages.
    public let name: String
    /// Channels normalised.
    public let channels: Int
    /// ε added to the variance.
    public let epsilon: Float
    /// Running-statistics momentum m (PyTorch convention; 0.1 by default).
    public let momentum: Float
    /// `<name>.weight` (γ), initially 1.
    public let gamma: Parameter
    /// `<name>.bias` (β), initially 0.
    public let beta: Parameter
    /// `<name>.running_mean`, initially 0, not trainable.
    public let runningMean: Parameter
    /// `<name>.running_var`, initially 1, not trainable.
    public let runningVariance: Parameter
    /// The stored tensors in weights-file order.
    public let parameters: [Parameter]
    /// Threads for the kernels; 1 runs on the caller's thread.
    public var threads = 1

    private let output = TrainTensor(shape: unsizedShape)
    private let gradInput = TrainTensor(shape: unsizedShape)
    private var input: TrainTensor?
    /// μ and 1/√(σ² + ε) per channel used by the last forward.
    private let mean: UnsafeMutableBufferPointer<Float>
    private let inverseDeviation: UnsafeMutableBufferPointer<Float>
    private var lastForwardTrained = false

    /// A BatchNorm with γ = 1, β = 0, running mean 0, running variance 1.
    /// - Throws: `TrainerError.invalidArgument` unless channels > 0, ε > 0
    ///   and 0 ≤ momentum ≤ 1.
    public init(name: String, channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) throws(TrainerError) {
        guard channels > 0, epsilon > 0, (0...1).contains(momentum) else {
            throw .invalidArgument("'\(name)': expected channels > 0, epsilon > 0, momentum in [0, 1]; found "
                                   + "\(channels), \(epsilon), \(momentum)")
        }
        self.name = name
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
        gamma = Parameter(name: "\(name).weight", shape: [channels], initialValue: 1)
        beta = Parameter(name: "\(name).bias", shape: [channels])
        runningMean = Parameter(name: "\(name).running_mean", shape: [channels], isTrainable: false)
        runningVariance = Parameter(name: "\(name).running_var", shape: [channels], isTrainable: false, initialValue: 1)
        parameters = [gamma, beta, runningMean, runningVariance]
        mean = .allocate(capacity: channels)
        mean.initialize(repeating: 0)
        inverseDeviation = .allocate(capacity: channels)
        inverseDeviation.initialize(repeating: 1)
    }

    deinit {
        mean.deallocate()
        inverseDeviation.deallocate()
    }

    /// The input shape; the input must have `channels` channels.
    public func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape {
        try requireInput(layer: name, input, channels: channels)
        return input
    }

    /// Normalises with batch statistics and updates the running ones (training), or with the running statistics (eval).
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        let shape = try outputShape(for: input.shape)
        let reduced = shape.n * shape.spatial
        if training && reduced < 2 {
            // PyTorch refuses this too: the unbiased variance divides by M − 1.
            throw .shapeMismatch("'\(name)': training needs more than one value per channel, found \(shape)")
        }
        output.resize(to: shape)
        let x = input.pointer, y = output.pointer
        parallelFor(channels, threads: threads) { c in
            if training {
                let (mu, variance) = channelMoments(x, shape: shape, channel: c)
                mean[c] = Float(mu)
                inverseDeviation[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                let m = Double(momentum)
                runningMean.value[c] = Float((1 - m) * Double(runningMean.value[c]) + m * mu)
                let unbiased = variance * Double(reduced) / Double(reduced - 1)
                runningVariance.value[c] = Float((1 - m) * Double(runningVariance.value[c]) + m * unbiased)
            } else {
                mean[c] = runningMean.value[c]
                inverseDeviation[c] = Float(1 / (Double(runningVariance.value[c]) + Double(epsilon)).squareRoot())
            }
            let scale = gamma.value[c] * inverseDeviation[c]
            let shift = beta.value[c] - mean[c] * scale
            // Indexing from the plane's pointers, not x[offset + i]: the
            // overflow check of that sum kept this loop scalar (perf: 5% of
            // a quick segmenter run). The same multiply, then add.
            forEachPlane(shape, channel: c) { offset in
                let source = x + offset, target = y + offset
                for i in 0..<shape.spatial { target[i] = source[i] * scale + shift }
            }
        }
        lastForwardTrained = training
        self.input = input
        return output
    }

    /// dx through the statistics of the last forward's mode; adds dγ = Σ dy·x̂
    /// and dβ = Σ dy where the parameter `requiresGradient`.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        let shape = input.shape
        gradInput.resize(to: shape)
        let x = input.pointer, dy = gradOutput.pointer, dx = gradInput.pointer
        let trained = lastForwardTrained
        let count = Double(shape.n * shape.spatial)
        // Taken once, outside the parallel region (reading may zero them).
        let gammaGradient = gamma.requiresGradient ? gamma.gradient : nil
        let betaGradient = beta.requiresGradient ? beta.gradient : nil
        parallelFor(channels, threads: threads) { c in
            let mu = mean[c], inverse = inverseDeviation[c]
            var sumDy: Double = 0, sumDyXhat: Double = 0
            forEachPlane(shape, channel: c) { offset in
                let sums = blockedGradientSums(dy + offset, x + offset, count: shape.spatial, mean: mu,
                                               inverseDeviation: inverse)
                sumDy += sums.sumDy
                sumDyXhat += sums.sumDyXhat
            }
            gammaGradient?[c] += Float(sumDyXhat)
            betaGradient?[c] += Float(sumDy)
            let scale = gamma.value[c] * inverse
            // In eval mode μ and σ² are constants: dx = dy·γ/√(var + ε).
            let meanDy = trained ? Float(sumDy / count) : 0
            let meanDyXhat = trained ? Float(sumDyXhat / count) : 0
            forEachPlane(shape, channel: c) { offset in
                let source = x + offset, gradient = dy + offset, target = dx + offset
                for i in 0..<shape.spatial {
                    let xhat = (source[i] - mu) * inverse
                    target[i] = scale * (gradient[i] - meanDy - xhat * meanDyXhat)
                }
            }
        }
        return gradInput
    }
}

/// Calls `body(offset)` with the offset of channel `c`'s plane in each image.
@inline(__always)
func forEachPlane(_ shape: TensorShape, channel c: Int, _ body: (Int) -> Void) {
    for n in 0..<shape.n { body(n * shape.imageCount + c * shape.spatial) }
}

/// Mean and biased variance of channel `c` over images and pixels, two-pass
/// (deviations from the mean are squared) so a large mean cannot cancel the
/// variance's digits; sums as `blockedSum`.
func channelMoments(_ x: UnsafePointer<Float>, shape: TensorShape, channel c: Int) -> (Double, Double) {
    var sum: Double = 0
    forEachPlane(shape, channel: c) { offset in sum += blockedSum(x + offset, count: shape.spatial) }
    let count = Double(shape.n * shape.spatial)
    let mean = sum / count
    var squares: Double = 0
    forEachPlane(shape, channel: c) { offset in
        squares += blockedSquaredDeviations(x + offset, count: shape.spatial, from: Float(mean))
    }
    return (mean, squares / count)
}
