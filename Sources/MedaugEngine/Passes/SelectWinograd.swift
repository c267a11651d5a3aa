import MedaugKernels
import MedaugModels

/// Moves 3×3, stride-1, padding-1 convolutions onto Winograd F(2×2, 3×3)
/// where it beats the direct and im2col kernels, transforming their weights
/// once (after folding, so the folded weights are the ones transformed). The
/// OIHW copy is dropped, so each weight is still held once.
enum SelectWinograd {
    /// (A variable so measurements can compare both paths.)
    nonisolated(unsafe) static var enabled = true

    static func run(_ graph: inout Graph, log: (String) -> Void) {
        guard enabled, Winograd.isAvailable else { return }
        for index in graph.nodes.indices {
            guard case .conv(var p) = graph.nodes[index].operation, p.layout == .oihw,
                  p.geometry == ConvGeometry(kernel: 3, stride: 1, padding: 1) else { continue }
            let input = graph.shapes[graph.nodes[index].inputs[0]]
            let outChannels = graph.shapes[graph.nodes[index].output].channels
            guard pays(inChannels: input.channels, outChannels: outChannels, width: input.width) else { continue }
            let transformed = Winograd.transformWeights(p.weights.buffer.baseAddress!, outChannels: outChannels,
                                                        inChannels: input.channels)
            p.weights.releaseFilePages()
            p.weights = TensorValues(copy: transformed)
            p.layout = .winogradF23
            graph.nodes[index].operation = .conv(p)
            log("winograd \(graph.nodes[index].name)")
        }
    }

    /// Whether Winograd is the faster kernel for this layer. Measured on the
    /// segmenter (MEDAUG_PROFILE=1, 2 threads): 2.0–2.4× faster than the
    /// direct kernel at widths 32–256 with 32–512 channels, but 1.4× slower
    /// at 16×16, where a tile row has 8 tiles and the kernel's 16-tile
    /// vectors run half empty.
    static func pays(inChannels: Int, outChannels: Int, width: Int) -> Bool {
        width >= 32
    }
}
