import MedaugMicroKernels
import MedaugSupport

/// A stride-1 convolution's weight gradient on medaug's kernel
/// (`md_conv_weight_gradient_stride1`): the shifted input rows are read in
/// place, with no im2col columns and no GEMM packing. Training only (the
/// engine has no gradients).
public enum ConvolutionWeightGradient {
    /// Whether the CPU tier in use has the kernel for `geometry` (stride 1,
    /// kernel side ≤ 7, avx512: the AVX2 version lost to OpenBLAS, see
    /// `conv_weight_gradient.c`).
    public static func isAvailable(for geometry: ConvGeometry) -> Bool {
        CPUTier.current.runs(.directWeightGradient) && geometry.stride == 1 && geometry.kernel <= 7
    }

    /// `gradWeights` (OIHW) += the weight gradient of one image: for every
    /// (o, c, ky, kx), Σ over output pixels of `gradOutput`[o] times
    /// `input`[c] at the tap's pixel (zero outside). The threads share the
    /// input channels; the bits are the same at any thread count (each
    /// sum's order is fixed by the kernel, not by the split). Only for
    /// geometries `isAvailable` accepts.
    public static func accumulate(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        gradOutput: UnsafePointer<Float>, outChannels: Int, geometry g: ConvGeometry,
        outHeight: Int, outWidth: Int, into gradWeights: UnsafeMutablePointer<Float>, threads: Int
    ) {
        precondition(isAvailable(for: g), "no weight-gradient kernel for this tier and geometry")
        let parts = max(1, min(threads, inChannels))
        parallelFor(parts, threads: threads) { part in
            let channels = splitRange(inChannels, parts: parts, part: part)
            let ran = md_conv_weight_gradient_stride1(
                Int32(inChannels), Int32(height), Int32(width), input, Int32(outChannels), Int32(g.kernel),
                Int32(g.padding), gradOutput, Int32(outHeight), Int32(outWidth),
                Int32(channels.lowerBound), Int32(channels.upperBound), gradWeights)
            precondition(ran == 1, "the weight-gradient kernel refused a layer isAvailable accepted")
        }
    }
}
