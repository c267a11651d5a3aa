import MedaugKernels
import MedaugSupport

/// The engine's Winograd kernels for pix2pix's 4×4, stride-2, padding-1
/// layers, run in training (`WinogradKernel.run(on:…)`). A convolution's
/// forward pass and a transposed convolution's input gradient are such a
/// convolution; a transposed convolution's forward pass and a convolution's
/// input gradient are such a transposed convolution, with the same weight
/// tensor (OIHW read as IOHW and back). Weight gradients stay on im2col +
/// GEMM.
enum StridedWinogradPath {
    /// One tile size's convolution and transposed-convolution kernels: a
    /// layer's forward pass runs one, its input gradient the other.
    struct Kernels: Equatable {
        let convolution: WinogradKernel
        let transposed: WinogradKernel
    }

    /// The kernels for a layer whose Winograd tiles span `tileWidth` columns
    /// (a convolution's output width, a transposed convolution's input
    /// width): F(2×2, 2×2) or F(4×4, 2×2), or nil for im2col + GEMM, also
    /// when the tier has none.
    ///
    /// Measured per layer of the pix2pix training step (`medaug train-gan
    /// --time-steps 12`, 256×256, batch 1, 2 threads, each layer's median
    /// step, lowest of 3 alternating runs; `MEDAUG_CPU=avx2` with OpenBLAS
    /// Haswell on the same AVX-512 host for avx2), forward / backward ms
    /// (backward includes the weight gradient, on GEMM in all three) for
    /// GEMM, F(2×2, 2×2), F(4×4, 2×2):
    ///
    /// | layer | avx512 forward | avx512 backward | avx2 forward | avx2 backward |
    /// |---|---|---|---|---|
    /// | down.1 64→128, 64 wide | 3.59 1.68 **1.51** | 6.66 5.58 **5.04** | 5.26 2.97 **2.31** | 10.16 8.13 **7.43** |
    /// | down.2 128→256, 32 wide | 3.02 **1.90** 2.33 | 5.74 **4.84** 5.48 | 4.75 **3.11** 3.07 | 9.42 **7.74** 7.98 |
    /// | down.3 256→512, 16 wide | **2.86** 3.12 6.23 | **5.62** 6.17 9.74 | **4.70** 4.18 6.36 | **9.61** 9.15 11.75 |
    /// | up.4 1024→256, 16 wide | **5.30** 6.52 13.28 | **10.15** 11.55 17.76 | **9.37** 8.51 13.61 | **18.08** 17.55 21.96 |
    /// | up.5 512→128, 32 wide | 5.12 **4.49** 5.74 | 10.20 **8.98** 9.48 | 8.90 **6.71** 7.24 | 17.92 **14.84** 14.74 |
    /// | up.6 256→64, 64 wide | 5.66 4.26 **4.18** | 11.00 9.31 **8.51** | 9.44 6.78 **5.48** | 18.35 15.15 **13.52** |
    ///
    /// (bold: the rule's choice). At 16 columns the transforms, 36 or 100
    /// floats per weight pair every pass, cost more than the tiles save on
    /// avx512 and nearly all of it on avx2 (at most 10%), so one rule for
    /// every tier: Winograd from 32 columns, F(4×4, 2×2) up to 256 × 64
    /// channel pairs. NEON takes it too (not measured: no ARM64 host here).
    /// Layers with fewer than 8 channels on a side (the one-hot input layer,
    /// the one-channel output layer) were not measured and stay on GEMM, as
    /// the engine leaves its one-channel output layer.
    static func kernels(inChannels: Int, outChannels: Int, tileWidth: Int, tier: CPUTier = .current) -> Kernels? {
        guard tier.runs(.stridedWinograd), tileWidth >= 32, min(inChannels, outChannels) >= 8 else { return nil }
        return tier.runs(.stridedWinogradF42) && inChannels * outChannels <= 256 * 64
            ? Kernels(convolution: .stridedConvolutionF42, transposed: .stridedTransposedF42)
            : Kernels(convolution: .stridedConvolution, transposed: .stridedTransposed)
    }

    /// True for the geometry the kernels implement: kernel 4, stride 2,
    /// padding 1, on an even-sized convolution input (so that the
    /// transposed convolution is its exact adjoint).
    static func fits(_ geometry: ConvGeometry, convolutionInput height: Int, _ width: Int) -> Bool {
        geometry.kernel == 4 && geometry.stride == 2 && geometry.padding == 1
            && height >= 2 && width >= 2 && height % 2 == 0 && width % 2 == 0
    }
}
