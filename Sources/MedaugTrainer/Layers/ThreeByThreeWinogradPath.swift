import MedaugKernels
import MedaugSupport

/// The engine's Winograd kernels for 3×3, stride-1, padding-1 layers (the
/// U-Net segmenter's), run in training for a convolution's forward pass and
/// its input gradient: dx is the same kind of convolution of dy with the
/// flipped, channel-swapped weights (`DirectConvolutionPath.flipWeights`),
/// padded by k − 1 − p = 1. The weights are transformed every pass (16 or
/// 36 floats per pair, on the caller's thread; `WinogradKernel.run(on:…)`);
/// weight gradients keep their own kernel or GEMM.
///
/// The rule, against the direct kernel (`DirectConvolutionPath`), measured
/// per layer with `medaug train-seg` (2 threads, Intel Xeon, avx512; each
/// layer's median pass; `MEDAUG_CPU=avx2 OPENBLAS_CORETYPE=Haswell` on the
/// same host for avx2), forward ms at batch 4 for direct / F(2×2, 3×3) /
/// F(4×4, 3×3), paper preset's U-Net (depth 4, 32 base filters, 128×128
/// crops):
///
/// | layer | width | direct | F(2×2) | F(4×4) |
/// |---|---|---|---|---|
/// | enc.0.conv2 32 → 32 | 128 | 4.75 | 3.32 | **2.97** |
/// | dec.0.conv1 96 → 32 | 128 | 11.07 | 7.06 | **5.47** |
/// | enc.1.conv2 64 → 64 | 64 | 4.59 | **3.16** | 3.25 |
/// | dec.1.conv1 192 → 64 | 64 | 16.33 | 6.22 | **5.95** |
/// | enc.2.conv2 128 → 128 | 32 | 4.27 | **3.89** | 6.27 |
/// | dec.2.conv1 384 → 128 | 32 | 8.64 | **7.43** | 12.51 |
/// | enc.0.conv1 1 → 32 | 128 | **0.87** | 1.40 | 1.41 |
///
/// and input gradients alike (dec.1.conv1's backward 24.3 → 19.9 and 19.4
/// ms). So F(4×4, 3×3) from 64 columns, F(2×2, 3×3) at 32 to 63, and the
/// direct kernel for layers with fewer than 32 channels on a side: the
/// quick preset's U-Net (8 base filters, 64×64 crops, batch 8) ran its
/// 8- and 16-channel layers at 0.07–0.44 ms direct against 0.10–0.48 on
/// either Winograd. Whole epochs of the paper-preset U-Net (10 steps,
/// medians of 4 epochs, three alternating rounds): avx512 4.14–4.25 →
/// 3.69–3.72 s, forced avx2 5.88–6.87 → 4.85–5.04 s. NEON takes the same
/// rule (not measured: no ARM64 host here).
enum ThreeByThreeWinogradPath {
    /// The Winograd kernel for a 3×3 layer of `inChannels` → `outChannels`
    /// channels whose output is `width` wide, or nil for the layer's
    /// other paths (also when the tier has no such kernel).
    static func kernel(_ geometry: ConvGeometry, inChannels: Int, outChannels: Int, width: Int,
                       tier: CPUTier = .current) -> WinogradKernel? {
        guard geometry.kernel == 3, geometry.stride == 1, geometry.padding == 1,
              min(inChannels, outChannels) >= 32, width >= 32 else { return nil }
        if width >= 64, tier.runs(.winogradF43) { return .f43 }
        return tier.runs(.winograd) ? .f23 : nil
    }
}
