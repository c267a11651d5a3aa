import MedaugKernels
import MedaugSupport

/// The engine's direct stride-1 kernel (`Convolution.forwardDirect`) run in
/// training, for a convolution's forward pass and its input gradient, and
/// medaug's weight-gradient kernel for those layers' dW where the tier has
/// it (`ConvolutionWeightGradient`); otherwise dW stays on im2col + GEMM.
///
/// A stride-1 convolution's input gradient is a stride-1 convolution of dy
/// with the weights flipped in both spatial axes and their channel axes
/// swapped (OIHW → IOHW, each k×k kernel rotated by 180°), padded by
/// k − 1 − p.
///
/// It takes the engine's rule (`Convolution.usesDirect`) as it stands. For
/// the quick preset's segmenter (depth 3, 8 base filters, 8 crops of 64×64,
/// so its 64- and 32-wide levels) on im2col, OpenBLAS packed the columns
/// for as long as it multiplied them. Measured with `medaug train-seg` at
/// the quick preset's settings (8 epochs of 20 steps, median epoch, three
/// alternating rounds against im2col + GEMM, 2026-12-05, AVX-512 host;
/// avx2 forced with OpenBLAS Haswell): avx512 1 thread 0.89–0.94 →
/// 0.65–0.66 s, 2 threads 0.56–0.57 → 0.41–0.44 s; avx2 1 thread
/// 0.90–0.96 → 0.79–0.84 s, 2 threads 0.57–0.58 → 0.50–0.52 s.
enum DirectConvolutionPath {
    /// Whether a layer's forward pass (`inChannels` in, output `outWidth`
    /// wide) runs on the direct kernel.
    static func fits(_ geometry: ConvGeometry, inChannels: Int, outWidth: Int) -> Bool {
        geometry.stride == 1 && geometry.padding <= geometry.kernel - 1
            && Convolution.usesDirect(geometry: geometry, inChannels: inChannels, outWidth: outWidth)
    }

    /// Whether a layer's weight gradient runs on medaug's kernel
    /// (`ConvolutionWeightGradient`, avx512 only) rather than im2col + GEMM:
    /// the layers the direct kernel's rule takes, whether their forward pass
    /// runs direct or, from 32 channels, on Winograd
    /// (`ThreeByThreeWinogradPath`). On the same
    /// `train-seg` measurement as above, three alternating rounds, avx512,
    /// 1 thread: 0.65–0.69 s per epoch with GEMM, 0.56–0.59 with the kernel
    /// on these layers, 0.60–0.63 with it on every 3×3 layer (the 16- and
    /// 8-wide ones too).
    static func fitsWeightGradient(_ geometry: ConvGeometry, inChannels: Int, outWidth: Int) -> Bool {
        ConvolutionWeightGradient.isAvailable(for: geometry) && fits(geometry, inChannels: inChannels, outWidth: outWidth)
    }

    /// Whether a layer's input gradient runs on the direct kernel: a
    /// stride-1 layer (only there is dx a stride-1 convolution of dy) whose
    /// gradient convolution (`outChannels` in, `inWidth` wide) the engine's
    /// rule accepts.
    static func fitsInputGradient(_ geometry: ConvGeometry, outChannels: Int, inWidth: Int) -> Bool {
        geometry.stride == 1 && geometry.padding <= geometry.kernel - 1
            && fits(gradientGeometry(geometry), inChannels: outChannels, outWidth: inWidth)
    }

    /// The geometry of the input-gradient convolution of a stride-1 layer.
    static func gradientGeometry(_ geometry: ConvGeometry) -> ConvGeometry {
        ConvGeometry(kernel: geometry.kernel, stride: 1, padding: geometry.kernel - 1 - geometry.padding)
    }

    /// `flipped`[c][o][k−1−y][k−1−x] = `weights`[o][c][y][x].
    static func flipWeights(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int, kernel k: Int,
                            into flipped: UnsafeMutablePointer<Float>) {
        let taps = k * k
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let source = weights + (o * inChannels + c) * taps, target = flipped + (c * outChannels + o) * taps
                for t in 0..<taps { target[taps - 1 - t] = source[t] }
            }
        }
    }

    /// `result` = `weights` ⊛ `source` for every image, on the direct kernel.
    static func run(on source: TrainTensor, weights: UnsafePointer<Float>, outChannels: Int,
                    geometry: ConvGeometry, into result: TrainTensor, epilogue: Epilogue, threads: Int) {
        let s = source.shape, r = result.shape
        for n in 0..<s.n {
            Convolution.forwardDirect(input: source.image(n), inChannels: s.c, height: s.h, width: s.w,
                                      weights: weights, outChannels: outChannels, geometry: geometry,
                                      output: result.image(n), outHeight: r.h, outWidth: r.w, imageIndex: n,
                                      epilogue: epilogue, threads: threads)
        }
    }
}
