import MedaugKernels
import MedaugSupport
import MedaugModels

/// Moves convolutions onto the Winograd kernels where they beat the direct,
/// im2col and GEMM + col2im paths, transforming their weights once (after
/// folding, so the folded weights are the ones transformed): 3×3 stride-1
/// padding-1 convolutions onto F(2×2, 3×3) or F(4×4, 3×3), pix2pix's 4×4 stride-2
/// padding-1 convolutions and transposed convolutions onto F(2×2, 2×2) or
/// F(4×4, 2×2). The file-layout copy is dropped, so
/// each weight is still held once.
enum SelectWinograd {
    /// (A variable so tests can see the other passes' layouts.)
    nonisolated(unsafe) static var enabled = true

    static let winograd3 = ConvGeometry(kernel: 3, stride: 1, padding: 1)
    static let strided4 = ConvGeometry(kernel: 4, stride: 2, padding: 1)

    static func run(_ graph: inout Graph, log: (String) -> Void) {
        guard enabled else { return }
        for index in graph.nodes.indices {
            let node = graph.nodes[index]
            guard case (var p, let transposed)? = node.operation.convolution else { continue }
            let input = graph.shapes[node.inputs[0]], output = graph.shapes[node.output]
            guard p.layout == .file,
                  let kernel = kernel(for: p.geometry, transposed: transposed, input: input, output: output)
            else { continue }
            let u = TensorValues(count: kernel.transformedWeightCount(outChannels: output.channels,
                                                                      inChannels: input.channels)) {
                kernel.transformWeights(p.weights.buffer.baseAddress!, outChannels: output.channels,
                                        inChannels: input.channels, into: $0)
            }
            p.weights.releaseFilePages()
            p.weights = u
            p.layout = .winograd(kernel)
            graph.nodes[index].operation = .convolution(p, transposed: transposed)
            log("winograd \(node.name)")
        }
    }

    /// The Winograd kernel that pays for this layer, if any.
    static func kernel(for geometry: ConvGeometry, transposed: Bool, input: ValueShape, output: ValueShape)
        -> WinogradKernel? {
        let tier = CPUTier.current
        switch (geometry, transposed) {
        case (winograd3, false) where tier.runs(.winograd):
            guard pays3x3(inChannels: input.channels, outChannels: output.channels, width: input.width) else {
                return nil
            }
            return tier.runs(.winogradF43)
                && paysLargeTile(inChannels: input.channels, outChannels: output.channels, width: input.width,
                                 tier: tier)
                ? .f43 : .f23
        case (strided4, false) where tier.runs(.stridedWinograd):
            guard paysStrided(outWidth: output.width) else { return nil }
            return tier.runs(.stridedWinogradF42)
                && paysLargeStridedTile(inChannels: input.channels, outChannels: output.channels)
                ? .stridedConvolutionF42 : .stridedConvolution
        case (strided4, true) where tier.runs(.stridedWinograd):
            guard paysTransposed(inWidth: input.width, outChannels: output.channels) else { return nil }
            return tier.runs(.stridedWinogradF42)
                && paysLargeTransposedTile(inChannels: input.channels, outChannels: output.channels)
                ? .stridedTransposedF42 : .stridedTransposed
        default:
            return nil
        }
    }

    // The rules below were measured with MEDAUG_PROFILE=1 on 2 threads
    // (per-layer minimum over 15 runs, alternating processes), on the paper
    // generator and the default segmenter at 256×256. Layers at most 16
    // pixels wide stack two tile rows per vector, and a band smaller than
    // the thread count is shared step by step (Winograd.runBands).

    /// F(2×2, 3×3) against the direct kernel / im2col: 2.0–2.4× faster at
    /// widths 32–256 (32–256 channels), 1.7× at 16 (512 channels). The AVX2
    /// tier takes the same rule: with it the whole segmenter-256 ran in
    /// ~103–116 ms against ~157–184 ms on im2col + OpenBLAS Haswell (AVX2
    /// code on an AVX-512 host; not yet measured on an AVX2-only CPU).
    static func pays3x3(inChannels: Int, outChannels: Int, width: Int) -> Bool {
        width >= 16
    }

    /// F(4×4, 3×3) against F(2×2, 3×3), per layer of the default segmenter
    /// at 256×256, batch 1 (MEDAUG_PROFILE=1, 2 threads, minimum of 3
    /// alternating runs per kernel; `MEDAUG_CPU=avx2` on the same AVX-512
    /// host for the AVX2 tier):
    /// - avx512: 0.67–0.91× the time at widths 32–128 (64–512 input
    ///   channels), 0.82–0.96× at 256; 1.0–1.24× at width 16 (512
    ///   channels: the 2.25× larger transformed weights are read once per
    ///   band) and 1.36× for the first layer (one input channel, where the
    ///   larger output transform is all there is). Whole segmenter:
    ///   median 78–96 ms against 88–92 (noisy host).
    /// - avx2: 0.41–0.87× at widths 32–256 including the one-channel first
    ///   layer, 0.86–1.04× at 16. Whole segmenter: 112–129 ms against
    ///   146–160.
    /// NEON takes the AVX2 rule (narrow vectors alike; not measured: no
    /// ARM64 host here).
    ///
    /// Below width 32 the AVX2 rule stops at 256 × 512 channels, for memory
    /// (2026-12-05, avx2 tier, segmenter-256, batch 1, three alternating
    /// rounds of `MEDAUG_PROFILE=1 medaug run --repeat 15`): its 16-wide
    /// bottom.conv2 (512 → 512) takes 1.27–1.30 ms on F(4×4, 3×3) and
    /// 2.02–2.04 on F(2×2, 3×3), 2% of the model, but its transformed
    /// weights take 21 MB more (38 MB against 17). With them medaug's peak
    /// RSS (209 MB in `scripts/bench engine --cpu avx2`) was above
    /// OpenVINO's on AVX2 code (204 MB); without, 20 MB lower. bottom.conv1
    /// (256 → 512, 10.5 MB more) keeps F(4×4, 3×3): 0.75 against 1.16–1.19 ms.
    static func paysLargeTile(inChannels: Int, outChannels: Int, width: Int, tier: CPUTier) -> Bool {
        if tier == .avx512 { return width >= 32 && inChannels >= 8 }
        return width >= 32 || (width >= 16 && inChannels * outChannels <= 256 * 512)
    }

    /// (The strided rules below hold for the AVX2 tier too: with its F(2×2,
    /// 2×2) kernels the whole generator-256 ran in ~68–71 ms at batch 1 and
    /// ~63–68 ms at batch 8 against ~86–112 and ~81–85 on im2col + OpenBLAS
    /// Haswell; AVX2 code on an AVX-512 host, not yet an AVX2-only CPU.)
    ///
    /// F(2×2, 2×2) on a 4×4 stride-2 convolution against im2col + GEMM:
    /// 1.3–2× faster at output widths 8–128; at 4 and 2 (512 channels) 1.6–2×
    /// slower: the transformed weights are 2.25× the size of the plain ones,
    /// and there the layer is bound by reading its weights.
    ///
    /// Width 8 is left to im2col for memory: its 512×512 layer's transformed
    /// weights take 21 MB more, and with the transposed layer below (42 MB)
    /// they were what kept generator-256's peak RSS above ncnn's (393 MB at
    /// batch 1 against 344). Per layer (MEDAUG_PROFILE=1, 2 threads, minimum
    /// of 15 runs, avx512): down.4 1.53 → 2.03 ms, up.3 3.33 → 2.71 ms; the
    /// whole generator 25.7 → 25.6 ms summed, peak RSS 393 → 331 MB.
    static func paysStrided(outWidth: Int) -> Bool {
        outWidth >= 16
    }

    /// The same for the transposed convolution against GEMM + col2im: 1.1–1.4×
    /// faster at input widths 16–64, 2× slower at 2 and 4, and 1.9× slower
    /// for the single-channel output layer, whose GEMMs have one row. At
    /// width 8 (1024 → 512 channels, 42 MB more weights) GEMM + col2im is
    /// now the faster one (above).
    static func paysTransposed(inWidth: Int, outChannels: Int) -> Bool {
        inWidth >= 16 && outChannels >= 8
    }

    /// F(4×4, 2×2) against F(2×2, 2×2) on the convolutions that take
    /// Winograd, per layer of generator-256 (one thread, every band in turn,
    /// minimum of 10 runs; `MEDAUG_CPU=avx2` on the same AVX-512 host for the
    /// AVX2 tier), F(2×2, 2×2) → F(4×4, 2×2) ms:
    /// - avx512: down.1 (64 → 128 channels) 2.56 → 2.01, down.2 (128 → 256)
    ///   2.42 → 1.92; down.3 (256 → 512) 2.77 → 2.92, its 52 MB of
    ///   transformed weights streamed once per band.
    /// - avx2: down.1 5.07 → 3.59, down.2 4.80 → 3.49, down.3 4.99 → 4.14;
    ///   down.3 is left to F(2×2, 2×2) for memory (34 MB more weights).
    /// Their weights take 10.5 MB more. NEON takes the same rule (not
    /// measured: no ARM64 host here).
    static func paysLargeStridedTile(inChannels: Int, outChannels: Int) -> Bool {
        inChannels * outChannels <= 128 * 256
    }

    /// F(4×4, 2×2) against F(2×2, 2×2) on the transposed layers that take
    /// Winograd, per layer of generator-256 (one thread, every band in turn,
    /// minimum of 10 runs; `MEDAUG_CPU=avx2` on the same AVX-512 host for the
    /// AVX2 tier), F(2×2, 2×2) → F(4×4, 2×2) ms:
    /// - avx512: up.6 (256 → 64 channels) 5.59 → 4.29; up.5 (512 → 128)
    ///   5.78 → 6.15 and up.4 (1024 → 256) 6.82 → 7.13: their transformed
    ///   weights (26 and 105 MB) are streamed from memory once per band and
    ///   bound the GEMMs, which on this tier run at twice the AVX2 rate.
    /// - avx2: up.6 11.32 → 7.71, up.5 10.07 → 8.78, up.4 11.44 → 9.13.
    ///   up.4 is left to F(2×2, 2×2) for memory: its weights would take
    ///   67 MB more, lifting generator-256's peak RSS above ncnn's.
    /// In the whole generator (MEDAUG_PROFILE=1, 2 threads, minimum of 25
    /// runs, alternating processes): avx512 up.6 3.49–3.67 → 2.87–3.04 ms;
    /// avx2 up.6 6.09–6.33 → 5.21–5.64, up.5 5.56–5.75 → 5.00–5.46. The
    /// weights take 4.2 MB more on avx512 and 21 MB more on avx2.
    ///
    /// Since 2026-12-06 every tier takes the avx512 rule (up.6 only), for
    /// memory. On an AMD EPYC Zen 4 under the AVX2-only view of the CPU
    /// (`scripts/benchmarks/cpuid_avx2.c`; AMD's AVX2 and AVX-512 code both
    /// run two 256-bit FMAs per cycle, as a Zen 2/3 AVX2 host does) up.5 on
    /// F(4×4, 2×2) kept generator-256's peak RSS above ncnn's in three of
    /// four `scripts/bench engine --cpu avx2` runs: 346 against 344 MB at
    /// batch 1 and 365 against 355 at batch 8. On F(2×2, 2×2): 321–331 and
    /// 340 MB (`/usr/bin/time`), for 8.49 → 9.20 ms in up.5
    /// (MEDAUG_PROFILE=1, minimum of 60 runs) and 2% of the model's time
    /// (alternating processes, median per image 55.5 → 56.6 ms at batch 1,
    /// 56.5 → 57.6 at batch 8). NEON takes the same rule (not measured: no
    /// ARM64 host here).
    static func paysLargeTransposedTile(inChannels: Int, outChannels: Int) -> Bool {
        inChannels * outChannels <= 256 * 64
    }
}
