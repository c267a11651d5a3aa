import MedaugKernels
import MedaugSupport
import MedaugModels

/// Packs the weights of the (transposed) convolutions whose GEMM has few
/// columns per image into 16-row panels, so `Gemm.multiplyPanels` reads them
/// with vector loads: these products stream their weights once per image,
/// and the strips kernel's one-float broadcasts of A cap that stream at a
/// fraction of memory bandwidth. Same bits as before (the panels kernel
/// computes the strips kernel's chains); the weights are still held once.
///
/// The rule (at most 64 pixels per image), measured on AMD EPYC (AVX-512,
/// 2 threads) with MEDAUG_PROFILE=1 on the paper generator-256, batch 1,
/// median of 20 runs, strips → panels: down.4 (8×8 pixels) 2.16 → 1.47 ms,
/// down.5 0.85 → 0.59, down.6 0.66 → 0.39, bottleneck 0.59 → 0.38, up.0
/// 0.68 → 0.37, up.1 1.12 → 0.74, up.2 1.08 → 1.08, up.3 (8×8 input) 2.77 →
/// 2.85 (a tie). Whole generator, ms per image, two runs each: batch 1
/// 26.1, 26.4 without panels, 24.9, 24.9 up to 16 pixels, 24.1, 24.4 up to
/// 64; batch 8: 27.5, 30.9 / 26.1, 28.7 / 26.5, 26.9.
enum PackWeightPanels {
    /// GEMM columns per image up to which a layer's weights go to panels.
    static let maxPixels = 64

    static func run(_ graph: inout Graph, log: (String) -> Void) {
        guard CPUTier.current.runs(.panels), Gemm.hasColumnExactKernel else { return }
        for index in graph.nodes.indices {
            let node = graph.nodes[index]
            guard case (var p, let transposed)? = node.operation.convolution else { continue }
            // The GEMM: O×(C·k·k) weights times the output's pixels for a
            // convolution, (O·k·k)×C times the input's pixels for a
            // transposed one.
            let input = graph.shapes[node.inputs[0]], output = graph.shapes[node.output]
            let taps = p.geometry.kernel * p.geometry.kernel
            let (rows, depth, pixels) = transposed ? (output.channels * taps, input.channels, input.spatial)
                                                   : (output.channels, input.channels * taps, output.spatial)
            guard p.layout == .file, pixels <= maxPixels else { continue }
            let matrix = p.weights
            p.weights = TensorValues(count: Gemm.panelsCount(m: rows, k: depth)) {
                if transposed {
                    // IOHW is the transpose of the output-major matrix.
                    Gemm.packPanels(m: rows, k: depth, transposed: matrix.buffer.baseAddress!, ldt: rows,
                                    into: $0.baseAddress!)
                } else {
                    Gemm.packPanels(m: rows, k: depth, a: matrix.buffer.baseAddress!, lda: depth, into: $0.baseAddress!)
                }
            }
            matrix.releaseFilePages()
            p.layout = .panels
            graph.nodes[index].operation = .convolution(p, transposed: transposed)
            log("pack \(node.name) weights in 16-row panels")
        }
    }
}
