import MedaugKernels
import MedaugSupport

/// Inverted dropout with a counter-based mask, the engine's convention:
/// element i (flat NCHW index over the batch) is zeroed when
/// `CounterRandom(seed: seed, stream: stream).uniform(i) < rate`, else scaled
/// by 1/(1 − rate). Identity when not training.
///
/// The mask is a pure function of (seed, stream, i), so backward recomputes
/// it instead of storing it, and a step is reproducible at any thread count.
/// Set `seed` once per training step (e.g. from the step number) and give
/// each dropout layer its own `stream`.
public final class Dropout: Layer {
    /// Tensor-name prefix and the name used in error messages.
    public let name: String
    /// Probability of zeroing an element, in [0, 1).
    public let rate: Float
    /// Distinguishes this layer's mask from other layers' in the same step.
    public let stream: UInt64
    /// Key of the current step's masks.
    public var seed: UInt64 = 0
    /// None: the layer has no weights.
    public let parameters: [Parameter] = []
    /// Threads for the kernels; 1 runs on the caller's thread.
    public var threads = 1

    private let output = TrainTensor(shape: unsizedShape)
    private let gradInput = TrainTensor(shape: unsizedShape)
    private var input: TrainTensor?
    /// Seed and mode of the last forward, so backward uses the same mask even
    /// if `seed` changed in between.
    private var forwardSeed: UInt64 = 0
    private var forwardTrained = false

    /// - Throws: `TrainerError.invalidArgument` unless 0 ≤ rate < 1.
    public init(name: String, rate: Float, stream: UInt64) throws(TrainerError) {
        guard rate >= 0, rate < 1 else { throw .invalidArgument("'\(name)': dropout rate must be in [0, 1), found \(rate)") }
        self.name = name
        self.rate = rate
        self.stream = stream
    }

    /// The input shape (pointwise).
    public func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape {
        guard input.isValid else { throw .shapeMismatch("'\(name)': empty input \(input)") }
        return input
    }

    /// Applies the step's mask (training) or copies the input (eval).
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        output.resize(to: try outputShape(for: input.shape))
        forwardSeed = seed
        forwardTrained = training
        applyMask(input.pointer, to: output.pointer, count: input.count, active: training)
        self.input = input
        return output
    }

    /// dx = dy·mask/(1 − rate) with the last forward's mask.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        gradInput.resize(to: input.shape)
        applyMask(gradOutput.pointer, to: gradInput.pointer, count: input.count, active: forwardTrained)
        return gradInput
    }

    /// destination = source·mask/(1 − rate) (a copy when inactive): forward
    /// and backward are the same linear map.
    private func applyMask(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>,
                           count: Int, active: Bool) {
        guard active, rate > 0 else {
            destination.update(from: source, count: count)
            return
        }
        let random = CounterRandom(seed: forwardSeed, stream: stream)
        let rate = rate, keep = 1 / (1 - rate)
        forEachChunk(count, threads: threads) { range in
            for i in range {
                destination[i] = random.uniform(UInt64(i)) < rate ? 0 : source[i] * keep
            }
        }
    }
}
