import MedaugKernels
import MedaugSupport
import MedaugModels

/// Packs the weights of the (transposed) convolutions whose GEMM has few
/// columns per image for a column-exact kernel of few columns (`packing`):
/// 16-row panels, which `Gemm.multiplyPanels` reads with vector loads (these
/// products stream their weights once per image, and the strips kernel's
/// one-float broadcasts of A, unpacked, cap that stream at a fraction of
/// memory bandwidth), or from 16 pixels on, cache blocks of 6-row panels
/// for `Gemm.multiplyBlocks`. Same bits as before (both kernels compute
/// the strips kernel's chains); the weights are still held once.
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
    /// GEMM columns per image up to which a layer's weights are packed.
    static let maxPixels = 64

    /// Blocks of 6-row panels (A broadcast, `Gemm.multiplyBlocks`) from 16
    /// pixels per image, 16-row panels (A read as vectors) below. Measured
    /// on an Intel Xeon (Emerald Rapids, 2 threads) with MEDAUG_PROFILE=1
    /// on generator-256, per-layer minimum of 15 runs, panels → blocks, ms:
    /// - avx512, batch 1: down.4 (8×8 pixels) 3.50–3.66 → 2.39–2.48, up.3
    ///   (8×8 input) 5.63–5.82 → 3.88–4.01, down.5 (4×4) 1.13–1.22 →
    ///   1.00–1.02, up.2 (4×4 input) 2.14–2.20 → 1.61–1.67; whole model
    ///   40.7 → 36.0 ms per image. At 4 pixels blocks lost (down.6 0.70 →
    ///   0.85, up.1 1.27–1.33 → 1.50–1.53), at 1 pixel too (0.14–0.15 →
    ///   0.20–0.21).
    /// - avx512, batch 8 (two images per pass): down.4 5.56–5.73 → 4.32–4.53,
    ///   up.3 8.67–9.13 → 6.87–7.17, down.5 1.67–1.90 → 1.32–1.33, up.2
    ///   3.04–3.08 → 1.94.
    /// - avx2 (`MEDAUG_CPU=avx2`, same host), batch 1: down.4 4.47–5.06 →
    ///   3.82–4.12, up.3 7.67–8.65 → 6.54–6.78, down.5 1.68–1.88 →
    ///   1.23–1.27, up.2 3.12–3.44 → 2.06–2.11; batch 8: up.3 14.16–15.69 →
    ///   13.91–14.22, down.4 9.74–10.07 → 8.16.
    /// The same bits either way (both kernels compute the strips kernel's
    /// chains). NEON takes the same rule (not measured: no ARM64 host here).
    static func packing(pixels: Int) -> Gemm.Packing {
        pixels >= 16 && CPUTier.current.runs(.blocks) ? .blocks : .panels
    }

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
            let packing = packing(pixels: pixels)
            p.weights = TensorValues(count: packing.count(m: rows, k: depth)) {
                if transposed {
                    // IOHW is the transpose of the output-major matrix.
                    packing.pack(m: rows, k: depth, transposed: matrix.buffer.baseAddress!, ldt: rows,
                                 into: $0.baseAddress!)
                } else {
                    packing.pack(m: rows, k: depth, a: matrix.buffer.baseAddress!, lda: depth, into: $0.baseAddress!)
                }
            }
            matrix.releaseFilePages()
            p.layout = .packed(packing)
            graph.nodes[index].operation = .convolution(p, transposed: transposed)
            log("pack \(node.name) weights in \(packing == .panels ? "16-row panels" : "blocks of 6-row panels")")
        }
    }
}
