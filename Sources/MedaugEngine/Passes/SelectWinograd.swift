import MedaugKernels
import MedaugModels

/// Moves convolutions onto the Winograd kernels where they beat the direct,
/// im2col and GEMM + col2im paths, transforming their weights once (after
/// folding, so the folded weights are the ones transformed): 3×3 stride-1
/// padding-1 convolutions onto F(2×2, 3×3), pix2pix's 4×4 stride-2
/// padding-1 convolutions and transposed convolutions onto F(2×2, 2×2). The
/// file-layout copy is dropped, so each weight is still held once.
enum SelectWinograd {
    /// (A variable so measurements can compare both paths.)
    nonisolated(unsafe) static var enabled = true

    static let winograd3 = ConvGeometry(kernel: 3, stride: 1, padding: 1)
    static let strided4 = ConvGeometry(kernel: 4, stride: 2, padding: 1)

    static func run(_ graph: inout Graph, log: (String) -> Void) {
        guard enabled, Winograd.isAvailable else { return }
        for index in graph.nodes.indices {
            let node = graph.nodes[index]
            let input = graph.shapes[node.inputs[0]], output = graph.shapes[node.output]
            switch node.operation {
            case .conv(var p) where p.layout == .file && p.geometry == winograd3
                && pays3x3(inChannels: input.channels, outChannels: output.channels, width: input.width):
                let u = Winograd.transformWeights(p.weights.buffer.baseAddress!, outChannels: output.channels,
                                                  inChannels: input.channels)
                replace(&p, weights: u, layout: .winogradF23)
                graph.nodes[index].operation = .conv(p)
            case .conv(var p) where p.layout == .file && p.geometry == strided4
                && paysStrided(outWidth: output.width):
                let u = StridedWinograd.transformConvolutionWeights(
                    p.weights.buffer.baseAddress!, outChannels: output.channels, inChannels: input.channels)
                replace(&p, weights: u, layout: .winogradF22)
                graph.nodes[index].operation = .conv(p)
            case .convTranspose(var p) where p.layout == .file && p.geometry == strided4
                && paysTransposed(inWidth: input.width, outChannels: output.channels):
                let u = StridedWinograd.transformTransposedWeights(
                    p.weights.buffer.baseAddress!, outChannels: output.channels, inChannels: input.channels)
                replace(&p, weights: u, layout: .winogradF22)
                graph.nodes[index].operation = .convTranspose(p)
            default:
                continue
            }
            log("winograd \(node.name)")
        }
    }

    private static func replace(_ p: inout ConvParameters, weights: [Float], layout: ConvWeightLayout) {
        p.weights.releaseFilePages()
        p.weights = TensorValues(copy: weights)
        p.layout = layout
    }

    /// Whether F(2×2, 3×3) is the faster kernel for this layer. Measured on
    /// the segmenter (MEDAUG_PROFILE=1, 2 threads): 2.0–2.4× faster than the
    /// direct kernel at widths 32–256 with 32–512 channels, but 1.4× slower
    /// at 16×16, where a tile row has 8 tiles and the kernel's 16-tile
    /// vectors run half empty.
    static func pays3x3(inChannels: Int, outChannels: Int, width: Int) -> Bool {
        width >= 32
    }

    /// The same for F(2×2, 2×2) on a 4×4 stride-2 convolution. Measured on
    /// the paper generator: 1.9–2.1× faster than im2col + GEMM at output
    /// widths 32–128, 1.9× slower at 16 (half-empty vectors again).
    static func paysStrided(outWidth: Int) -> Bool {
        outWidth >= 32
    }

    /// The same for the transposed convolution, against GEMM + col2im:
    /// 1.1–1.3× faster at input widths 32 and 64 (the generator's last two
    /// up blocks), slower at 16, and 1.9× slower for the single-channel
    /// output layer, whose GEMMs have one row.
    static func paysTransposed(inWidth: Int, outChannels: Int) -> Bool {
        inWidth >= 32 && outChannels >= 8
    }
}
