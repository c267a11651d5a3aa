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
    /// Winograd F(2×2, 3×3) and F(2×2, 2×2).
    case winograd
    /// tanh, sigmoid, channel softmax.
    case activations
}

extension CPUTier {
    /// Whether this tier has code for `family`.
    public func runs(_ family: MicroKernelFamily) -> Bool {
        switch self {
        case .avx512: true
        case .avx2, .neon, .generic: false
        }
    }
}
