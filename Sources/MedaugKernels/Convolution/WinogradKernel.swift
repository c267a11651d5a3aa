/// The Winograd kernels as one choice, so a graph can name the kernel a
/// convolution's transformed weights are for and run it without knowing
/// which one it is.
public enum WinogradKernel: Sendable, Equatable {
    /// 3×3, stride 1, padding 1: F(2×2, 3×3) (`Winograd`).
    case f23
    /// 3×3, stride 1, padding 1: F(4×4, 3×3) (`WinogradF43`).
    case f43
    /// 4×4, stride 2, padding 1 convolution: F(2×2, 2×2) (`StridedWinograd`).
    case stridedConvolution
    /// 4×4, stride 2, padding 1 transposed convolution (`StridedWinograd`).
    case stridedTransposed
    /// 4×4, stride 2, padding 1 convolution: F(4×4, 2×2)
    /// (`StridedWinogradF42`).
    case stridedConvolutionF42
    /// 4×4, stride 2, padding 1 transposed convolution: F(4×4, 2×2)
    /// (`StridedWinogradF42`).
    case stridedTransposedF42

    /// Floats of the transformed weights of an O×I layer.
    public func transformedWeightCount(outChannels: Int, inChannels: Int) -> Int {
        switch self {
        case .f23: return Winograd.transformedWeightCount(outChannels: outChannels, inChannels: inChannels)
        case .f43: return WinogradF43.transformedWeightCount(outChannels: outChannels, inChannels: inChannels)
        case .stridedConvolution, .stridedTransposed:
            return StridedWinograd.transformedWeightCount(outChannels: outChannels, inChannels: inChannels)
        case .stridedConvolutionF42, .stridedTransposedF42:
            return StridedWinogradF42.transformedWeightCount(outChannels: outChannels, inChannels: inChannels)
        }
    }

    /// Transforms the file-layout weights (OIHW, or IOHW when transposed)
    /// into `u` (`transformedWeightCount` floats). `threads` share the
    /// strided kernels' transforms, which training runs every pass; the
    /// 3×3 ones run on the caller's thread.
    public func transformWeights(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                 into u: UnsafeMutableBufferPointer<Float>, threads: Int = 1) {
        switch self {
        case .f23:
            Winograd.transformWeights(weights, outChannels: outChannels, inChannels: inChannels, into: u)
        case .f43:
            WinogradF43.transformWeights(weights, outChannels: outChannels, inChannels: inChannels, into: u)
        case .stridedConvolution:
            StridedWinograd.transformConvolutionWeights(weights, outChannels: outChannels, inChannels: inChannels,
                                                        into: u, threads: threads)
        case .stridedTransposed:
            StridedWinograd.transformTransposedWeights(weights, outChannels: outChannels, inChannels: inChannels,
                                                       into: u, threads: threads)
        case .stridedConvolutionF42:
            StridedWinogradF42.transformConvolutionWeights(weights, outChannels: outChannels, inChannels: inChannels,
                                                           into: u, threads: threads)
        case .stridedTransposedF42:
            StridedWinogradF42.transformTransposedWeights(weights, outChannels: outChannels, inChannels: inChannels,
                                                          into: u, threads: threads)
        }
    }

    /// Scratch floats `forward` needs for one image `height`×`width`.
    public func scratchCount(inChannels: Int, outChannels: Int, height: Int, width: Int, threads: Int) -> Int {
        switch self {
        case .f23:
            return Winograd.scratchCount(inChannels: inChannels, outChannels: outChannels, height: height,
                                         width: width, threads: threads)
        case .f43:
            return WinogradF43.scratchCount(inChannels: inChannels, outChannels: outChannels, height: height,
                                            width: width, threads: threads)
        case .stridedConvolution:
            return StridedWinograd.convolutionScratchCount(inChannels: inChannels, outChannels: outChannels,
                                                           height: height, width: width, threads: threads)
        case .stridedTransposed:
            return StridedWinograd.transposedScratchCount(inChannels: inChannels, outChannels: outChannels,
                                                          height: height, width: width, threads: threads)
        case .stridedConvolutionF42:
            return StridedWinogradF42.convolutionScratchCount(inChannels: inChannels, outChannels: outChannels,
                                                              height: height, width: width, threads: threads)
        case .stridedTransposedF42:
            return StridedWinogradF42.transposedScratchCount(inChannels: inChannels, outChannels: outChannels,
                                                             height: height, width: width, threads: threads)
        }
    }

    /// One image through the kernel; parameters as in `Winograd.forward`.
    public func forward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int, epilogue: Epilogue,
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let run: (UnsafePointer<Float>, Int, Int, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int,
                  Epilogue, UnsafeMutablePointer<Float>, Int) -> Void
        switch self {
        case .f23: run = Winograd.forward
        case .f43: run = WinogradF43.forward
        case .stridedConvolution: run = StridedWinograd.convolutionForward
        case .stridedTransposed: run = StridedWinograd.transposedForward
        case .stridedConvolutionF42: run = StridedWinogradF42.convolutionForward
        case .stridedTransposedF42: run = StridedWinogradF42.transposedForward
        }
        run(input, inChannels, height, width, u, outChannels, output, imageIndex, epilogue, scratch, threads)
    }
}
