import Foundation
import MedaugKernels
import MedaugSupport

/// A pointwise nonlinearity: ReLU, LeakyReLU, tanh or sigmoid (softmax spans
/// channels and is `Softmax`).
///
/// Derivatives: ReLU 1 for x > 0 else 0 (0 at the kink, as PyTorch);
/// LeakyReLU 1 for x > 0 else the slope; tanh 1 − y²; sigmoid y·(1 − y),
/// the last two from the saved output so no transcendental is re-evaluated.
public final class ActivationLayer: Layer {
    /// The nonlinearity; never `.softmax`.
    public let activation: Activation
    /// Tensor-name prefix and the name used in error messages.
    public let name: String
    /// None: the layer has no weights.
    public let parameters: [Parameter] = []
    /// Threads for the kernels; 1 runs on the caller's thread.
    public var threads = 1

    private let output = TrainTensor(shape: unsizedShape)
    private let gradInput = TrainTensor(shape: unsizedShape)
    private var input: TrainTensor?

    /// - Throws: `TrainerError.invalidArgument` for `.softmax` (use `Softmax`).
    public init(_ activation: Activation, name: String = "activation") throws(TrainerError) {
        guard activation != .softmax else {
            throw .invalidArgument("'\(name)': softmax is not pointwise; use the Softmax layer")
        }
        self.activation = activation
        self.name = name
    }

    /// The input shape (pointwise).
    public func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape {
        guard input.isValid else { throw .shapeMismatch("'\(name)': empty input \(input)") }
        return input
    }

    /// Applies the activation elementwise (same in training and eval).
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        output.resize(to: try outputShape(for: input.shape))
        let x = input.pointer, y = output.pointer, activation = activation
        forEachChunk(input.count, threads: threads) { range in
            (y + range.lowerBound).update(from: x + range.lowerBound, count: range.count)
            Pointwise.affineActivate(y + range.lowerBound, count: range.count, scale: 1, shift: 0,
                                     activation: activation)
        }
        self.input = input
        return output
    }

    /// dx = dy·act′(x).
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        gradInput.resize(to: input.shape)
        let x = input.pointer, y = output.pointer, dy = gradOutput.pointer, dx = gradInput.pointer
        let activation = activation
        forEachChunk(input.count, threads: threads) { range in
            switch activation {
            case .identity, .softmax:
                for i in range { dx[i] = dy[i] }
            case .relu:
                // dy where x > 0, else +0, through a bit mask: a branch on the
                // sign mispredicts about every other element and keeps the
                // loop scalar (measured: 1.2% of a pix2pix step).
                for i in range { dx[i] = Float(bitPattern: dy[i].bitPattern & (x[i] > 0 ? UInt32.max : 0)) }
            case .leakyRelu(let slope):
                for i in range { dx[i] = x[i] > 0 ? dy[i] : dy[i] * slope }
            case .tanh:
                for i in range { dx[i] = dy[i] * (1 - y[i] * y[i]) }
            case .sigmoid:
                for i in range { dx[i] = dy[i] * y[i] * (1 - y[i]) }
            }
        }
        return gradInput
    }
}

/// Splits `0..<count` into one contiguous range per thread (elementwise
/// kernels: any split gives the same result).
func forEachChunk(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    // Below ~64k elements a thread hand-off costs more than it saves.
    let parts = max(1, min(threads, count / 65_536))
    parallelFor(parts, threads: parts) { part in body(splitRange(count, parts: parts, part: part)) }
}
