import MedaugMicroKernels
import MedaugSupport

/// A family of medaug's SIMD kernels (`Sources/MedaugMicroKernels`), for
/// asking whether the CPU tier in use has code for it:
/// `CPUTier.current.runs(.winograd)`. Planning code (scratch sizes, which
/// kernel a layer gets) asks this; the kernels themselves check again and
/// return 0 when they cannot run.
public enum MicroKernelFamily: CaseIterable, Sendable {
    /// The strips GEMM (`Gemm.multiplyColumnExact`, packed strips, narrow
    /// products).
    case strips
    /// The direct stride-1 convolution.
    case direct
    /// A stride-1 convolution's weight gradient without im2col (training;
    /// AVX-512 only, where it beat im2col + GEMM).
    case directWeightGradient
    /// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions.
    case winograd
    /// Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions.
    case winogradF43
    /// Winograd F(2×2, 2×2) for pix2pix's 4×4 stride-2 convolutions and
    /// transposed convolutions.
    case stridedWinograd
    /// Winograd F(4×4, 2×2) for pix2pix's 4×4 stride-2 transposed
    /// convolutions.
    case stridedWinogradF42
    /// tanh, sigmoid, channel softmax.
    case activations
    /// The bilinear warp of augmentation.
    case warp
    /// The trainer's Adam update.
    case optimizer
    /// The panels GEMM (`Gemm.multiplyPanels`): weights packed in 16-row
    /// panels times few columns.
    case panels
    /// The blocks GEMM (`Gemm.multiplyBlocks`): weights packed in cache
    /// blocks of 6-row micro-panels times a few dozen columns or more.
    case blocks

    /// How many times a kernel of this family ran with `tier`'s code in this
    /// process (tests assert that a forced tier's code really ran).
    public func runs(on tier: CPUTier) -> Int {
        md_kernel_runs(code, tier.code)
    }

    var code: Int32 {
        switch self {
        case .strips: MD_FAMILY_STRIPS
        case .direct: MD_FAMILY_DIRECT
        case .directWeightGradient: MD_FAMILY_DIRECT_WEIGHT_GRADIENT
        case .winograd: MD_FAMILY_WINOGRAD
        case .winogradF43: MD_FAMILY_WINOGRAD_F43
        case .stridedWinograd: MD_FAMILY_STRIDED_WINOGRAD
        case .stridedWinogradF42: MD_FAMILY_STRIDED_WINOGRAD_F42
        case .activations: MD_FAMILY_ACTIVATIONS
        case .warp: MD_FAMILY_WARP
        case .optimizer: MD_FAMILY_OPTIMIZER
        case .panels: MD_FAMILY_PANELS
        case .blocks: MD_FAMILY_BLOCKS
        }
    }
}

extension CPUTier {
    /// Whether this tier has code for `family`.
    public func runs(_ family: MicroKernelFamily) -> Bool {
        switch (self, family) {
        case (.avx512, _): true
        case (.avx2, .strips), (.avx2, .warp), (.avx2, .activations), (.avx2, .winograd),
             (.avx2, .winogradF43), (.avx2, .stridedWinograd), (.avx2, .stridedWinogradF42), (.avx2, .optimizer),
             (.avx2, .panels), (.avx2, .blocks), (.avx2, .direct): true
        case (.neon, .strips), (.neon, .activations), (.neon, .warp), (.neon, .winograd), (.neon, .winogradF43),
             (.neon, .stridedWinograd), (.neon, .stridedWinogradF42), (.neon, .optimizer),
             (.neon, .panels), (.neon, .blocks): true
        default: false
        }
    }
}
