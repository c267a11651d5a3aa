import MedaugKernels
import MedaugSupport

/// 2x2 max pooling with stride 2 (the segmenter's pool), output
/// ⌊H/2⌋×⌊W/2⌋ (PyTorch's floor mode: a trailing odd row or column is
/// dropped and gets zero gradient).
///
/// Forward records which of the four inputs won (the first maximum in
/// row-major order; a NaN wins, as in `MaxPool.forward`), and backward
/// routes each output gradient to that input only. The winners are kept as
/// one byte per output, allocated once.
public final class MaxPool2x2: Layer {
    /// Tensor-name prefix and the name used in error messages.
    public let name: String
    /// None: the layer has no weights.
    public let parameters: [Parameter] = []
    /// Threads for the kernels; 1 runs on the caller's thread.
    public var threads = 1

    private let output = TrainTensor(shape: unsizedShape)
    private let gradInput = TrainTensor(shape: unsizedShape)
    private var input: TrainTensor?
    private let winnerStorage = GrowableBuffer<UInt8>(fill: 0)

    /// A pooling layer named `name` (for error messages).
    public init(name: String = "pool") { self.name = name }

    /// N×C×⌊H/2⌋×⌊W/2⌋; at least 2x2 pixels are needed.
    public func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape {
        guard input.isValid, input.h >= 2, input.w >= 2 else {
            throw .shapeMismatch("'\(name)': 2x2 pooling needs at least 2x2 pixels, found \(input)")
        }
        return TensorShape(n: input.n, c: input.c, h: input.h / 2, w: input.w / 2)
    }

    /// The maximum of each 2x2 window; records the winners for backward.
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        let shape = try outputShape(for: input.shape)
        output.resize(to: shape)
        let inShape = input.shape, x = input.pointer, y = output.pointer
        let winners = winnerStorage.reserve(shape.count)
        parallelFor(shape.n * shape.c, threads: threads) { plane in
            let src = x + plane * inShape.spatial, dst = plane * shape.spatial
            for oy in 0..<shape.h {
                for ox in 0..<shape.w {
                    let top = src + 2 * oy * inShape.w + 2 * ox, bottom = top + inShape.w
                    var best = top[0], winner: UInt8 = 0
                    // `!(v <= best)` is true for v > best and for a NaN v.
                    if !(top[1] <= best) && !best.isNaN { best = top[1]; winner = 1 }
                    if !(bottom[0] <= best) && !best.isNaN { best = bottom[0]; winner = 2 }
                    if !(bottom[1] <= best) && !best.isNaN { best = bottom[1]; winner = 3 }
                    y[dst + oy * shape.w + ox] = best
                    winners[dst + oy * shape.w + ox] = winner
                }
            }
        }
        self.input = input
        return output
    }

    /// Each output gradient goes to its window's winner; the rest get 0.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        let shape = output.shape, inShape = input.shape
        gradInput.resize(to: inShape)
        let dy = gradOutput.pointer, dx = gradInput.pointer, winners = winnerStorage.reserve(shape.count)
        parallelFor(shape.n * shape.c, threads: threads) { plane in
            let dst = dx + plane * inShape.spatial, src = plane * shape.spatial
            dst.update(repeating: 0, count: inShape.spatial)
            for oy in 0..<shape.h {
                for ox in 0..<shape.w {
                    let winner = Int(winners[src + oy * shape.w + ox])
                    dst[(2 * oy + winner / 2) * inShape.w + 2 * ox + winner % 2] = dy[src + oy * shape.w + ox]
                }
            }
        }
        return gradInput
    }
}
