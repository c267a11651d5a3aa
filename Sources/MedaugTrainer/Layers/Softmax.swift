import MedaugKernels
import MedaugSupport

/// Softmax over the channel axis at every pixel (the segmenter's output).
///
/// Backward: dx_c = y_c·(dy_c − Σ_j dy_j·y_j), from the saved output.
/// Training losses take logits and apply softmax themselves
/// (`CrossEntropyLoss`, `SoftDiceLoss`); this layer is for graphs that need
/// probabilities as an intermediate value.
public final class Softmax: Layer {
    /// Tensor-name prefix and the name used in error messages.
    public let name: String
    /// None: the layer has no weights.
    public let parameters: [Parameter] = []
    /// Threads for the kernels; 1 runs on the caller's thread.
    public var threads = 1

    private let output = TrainTensor(shape: unsizedShape)
    private let gradInput = TrainTensor(shape: unsizedShape)
    private var input: TrainTensor?

    /// A softmax layer named `name` (for error messages).
    public init(name: String = "softmax") { self.name = name }

    /// The input shape.
    public func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape {
        guard input.isValid else { throw .shapeMismatch("'\(name)': empty input \(input)") }
        return input
    }

    /// Softmax over channels at every pixel.
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        _ = try outputShape(for: input.shape)
        output.copy(from: input)
        let shape = input.shape, y = output.pointer
        parallelFor(shape.n, threads: threads) { n in
            Pointwise.softmax(y + n * shape.imageCount, channels: shape.c, pixels: shape.spatial, stride: shape.spatial)
        }
        self.input = input
        return output
    }

    /// dx = y·(dy − Σ_c dy_c·y_c).
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        let shape = input.shape
        gradInput.resize(to: shape)
        let y = output.pointer, dy = gradOutput.pointer, dx = gradInput.pointer
        parallelFor(shape.n, threads: threads) { n in
            let base = n * shape.imageCount
            for p in 0..<shape.spatial {
                var dot: Float = 0
                for c in 0..<shape.c { dot += dy[base + c * shape.spatial + p] * y[base + c * shape.spatial + p] }
                for c in 0..<shape.c {
                    let i = base + c * shape.spatial + p
                    dx[i] = y[i] * (dy[i] - dot)
                }
            }
        }
        return gradInput
    }
}
