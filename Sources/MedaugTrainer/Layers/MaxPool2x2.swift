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
                let top = src + 2 * oy * inShape.w, bottom = top + inShape.w
                let out = y + dst + oy * shape.w, won = winners + dst + oy * shape.w
                var ox = 0
                while ox + 8 <= shape.w {
                    Self.pool8(top: top + 2 * ox, bottom: bottom + 2 * ox, into: out + ox, winners: won + ox)
                    ox += 8
                }
                while ox < shape.w {
                    let a = top + 2 * ox, b = bottom + 2 * ox
                    var best = a[0], winner: UInt8 = 0
                    // `!(v <= best)` is true for v > best and for a NaN v.
                    if !(a[1] <= best) && !best.isNaN { best = a[1]; winner = 1 }
                    if !(b[0] <= best) && !best.isNaN { best = b[0]; winner = 2 }
                    if !(b[1] <= best) && !best.isNaN { best = b[1]; winner = 3 }
                    out[ox] = best
                    won[ox] = winner
                    ox += 1
                }
            }
        }
        self.input = input
        return output
    }

    /// Eight windows at once, the scalar loop's comparisons lane by lane
    /// (the same winners and values, NaN included). The scalar loop took 5%
    /// of the quick segmenter's training step (`perf`); with this, its
    /// epochs went 0.58–0.63 → 0.54–0.60 s (one thread, avx512, three
    /// alternating rounds, the same weights bit for bit).
    @inline(__always)
    private static func pool8(top: UnsafePointer<Float>, bottom: UnsafePointer<Float>,
                              into out: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt8>) {
        let upper = UnsafeRawPointer(top).loadUnaligned(as: SIMD16<Float>.self)
        let lower = UnsafeRawPointer(bottom).loadUnaligned(as: SIMD16<Float>.self)
        var best = upper.evenHalf, winner = SIMD8<Int32>(repeating: 0)
        @inline(__always) func challenge(_ candidate: SIMD8<Float>, _ index: Int32) {
            // As in the scalar loop: v > best, or a NaN v, unless best is NaN.
            let takes = .!(candidate .<= best) .& (best .== best)
            best.replace(with: candidate, where: takes)
            winner.replace(with: index, where: takes)
        }
        challenge(upper.oddHalf, 1)
        challenge(lower.evenHalf, 2)
        challenge(lower.oddHalf, 3)
        UnsafeMutableRawPointer(out).storeBytes(of: best, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(winners).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: winner), as: SIMD8<UInt8>.self)
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
