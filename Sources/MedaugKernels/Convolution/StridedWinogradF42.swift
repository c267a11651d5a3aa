import MedaugMicroKernels
import MedaugSupport

/// pix2pix's 4×4, stride-2, padding-1 convolutions and transposed
/// convolutions by Winograd F(4×4, 2×2): each input parity class or output
/// phase is a 2×2 correlation (as in `StridedWinograd`), computed with 25
/// multiply-adds per 4×4 tile instead of 64 (2.56× fewer, against F(2×2,
/// 2×2)'s 1.78×), and 1.56 transformed floats per output pixel instead of
/// 2.25. Its weights are 100/36 the size
/// of F(2×2, 2×2)'s (6.25× the plain ones), which is why only layers with
/// few channels take it (`SelectWinograd` has the rule and its measurement).
///
/// Layout and driver as `WinogradF43`: U[ξ][o][class·I + i] for the 25
/// points ξ of the 5×5 transform domain and the 4 parity classes of the
/// convolution, U[phase][ξ][o][i] for the 4 phases of the transposed one;
/// bands of whole tile rows (4 output rows of the convolution, 4 input and
/// 8 output rows of the transposed convolution) run by `Winograd.runBands` on the CPU
/// tier's kernel (`winograd_f42.c`, `winograd_f42_avx2.c`, `winograd_f42_neon.c`).
///
/// Numerics: G holds ½, ⅙ and ⅓ and Bᵀ, Aᵀ up to 8: results differ from a
/// direct sum by ~4e-7 relative in float32 (F(2×2, 2×2): ~1e-7).
public enum StridedWinogradF42 {
    /// Floats of either weight transform's result for O×I weights.
    public static func transformedWeightCount(outChannels: Int, inChannels: Int) -> Int {
        100 * outChannels * inChannels
    }

    /// U[25][O][4·I] from OIHW O×I×4×4 convolution weights, into `u`
    /// (`transformedWeightCount` floats), `threads` sharing the output
    /// channels (the trainer transforms every pass).
    public static func transformConvolutionWeights(
        _ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
        into u: UnsafeMutableBufferPointer<Float>, threads: Int = 1
    ) {
        precondition(u.count >= transformedWeightCount(outChannels: outChannels, inChannels: inChannels))
        transformRows(md_winograd_f42_conv_weights_rows, weights, outChannels: outChannels,
                      inChannels: inChannels, into: u.baseAddress!, threads: threads)
    }

    /// U[4][25][O][I] from IOHW I×O×4×4 transposed-convolution weights, into
    /// `u` (`transformedWeightCount` floats).
    public static func transformTransposedWeights(
        _ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
        into u: UnsafeMutableBufferPointer<Float>, threads: Int = 1
    ) {
        precondition(u.count >= transformedWeightCount(outChannels: outChannels, inChannels: inChannels))
        transformRows(md_winograd_f42_transposed_weights_rows, weights, outChannels: outChannels,
                      inChannels: inChannels, into: u.baseAddress!, threads: threads)
    }

    /// Tile rows per band and the scratch floats of one band: about 32 tiles
    /// (GEMM columns) a band, since a band keeps 100 transformed matrices.
    /// Measured on generator-256's up.6 (256 → 64 channels, 64×64 input;
    /// MEDAUG_PROFILE=1, 2 threads, avx512, minimum of 25 runs, three
    /// alternating rounds): 2.75–3.51 ms at 32 tiles, 3.87–4.22 at 64 and
    /// 4.55–4.80 at 128, where V and M no longer stay in L2.
    static func transposedBand(inChannels: Int, outChannels: Int, height: Int, width: Int)
        -> (rows: Int, floats: Int) {
        let rows = WinogradF43.bandTileRows(width: width, tileRows: (height + 3) / 4, tiles: 32)
        return (rows, md_winograd_f42_transposed_scratch(Int32(inChannels), Int32(outChannels), Int32(width),
                                                         Int32(rows)))
    }

    /// The same for the convolution (a tile row = 4 output rows), also
    /// about 32 tiles a band: on generator-256's down.1 (64 → 128 channels)
    /// and down.2 (128 → 256), one thread, every band in turn, 2.45 and 2.36
    /// ms at 16 tiles, 2.01 and 1.92 at 32 (avx512).
    static func convolutionBand(inChannels: Int, outChannels: Int, height: Int, width: Int)
        -> (rows: Int, floats: Int) {
        let outWidth = width / 2
        let rows = WinogradF43.bandTileRows(width: outWidth, tileRows: (height / 2 + 3) / 4, tiles: 32)
        return (rows, md_winograd_f42_conv_scratch(Int32(inChannels), Int32(outChannels), Int32(outWidth),
                                                   Int32(rows)))
    }

    /// Scratch floats `convolutionForward` needs.
    public static func convolutionScratchCount(inChannels: Int, outChannels: Int, height: Int, width: Int,
                                               threads: Int) -> Int {
        max(1, threads) * convolutionBand(inChannels: inChannels, outChannels: outChannels, height: height,
                                          width: width).floats
    }

    /// Scratch floats `transposedForward` needs.
    public static func transposedScratchCount(inChannels: Int, outChannels: Int, height: Int, width: Int,
                                              threads: Int) -> Int {
        max(1, threads) * transposedBand(inChannels: inChannels, outChannels: outChannels, height: height,
                                         width: width).floats
    }

    /// output = epilogue(conv(input, weights)), kernel 4, stride 2, padding
    /// 1: `inChannels`×`height`×`width` → `outChannels`×⌊height/2⌋×⌊width/2⌋,
    /// one image, with `transformConvolutionWeights`' result. Parameters as
    /// in `Winograd.forward`.
    /// - Precondition: `CPUTier.current.runs(.stridedWinogradF42)`.
    public static func convolutionForward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int = 0, epilogue: Epilogue = Epilogue(),
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let outHeight = height / 2, outWidth = width / 2
        let band = convolutionBand(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        Winograd.runBands(md_winograd_f42_conv, input: input, inChannels: inChannels, height: height,
                          width: width, transformedWeights: u, output: output, outChannels: outChannels,
                          outHeight: outHeight, outWidth: outWidth, tileRows: (outHeight + 3) / 4, bandRows: band.rows,
                          outputRowsPerTileRow: 4, slotFloats: band.floats, imageIndex: imageIndex, epilogue: epilogue,
                          scratch: scratch, threads: threads)
    }

    /// output = epilogue(convTranspose(input, weights)), kernel 4, stride 2,
    /// padding 1: `inChannels`×`height`×`width` → `outChannels`×2·height×
    /// 2·width, one image, with `transformTransposedWeights`' result.
    /// Parameters as in `Winograd.forward`.
    /// - Precondition: `CPUTier.current.runs(.stridedWinogradF42)`.
    public static func transposedForward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int = 0, epilogue: Epilogue = Epilogue(),
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let band = transposedBand(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        Winograd.runBands(md_winograd_f42_transposed, input: input, inChannels: inChannels, height: height,
                          width: width, transformedWeights: u, output: output, outChannels: outChannels,
                          outHeight: 2 * height, outWidth: 2 * width, tileRows: (height + 3) / 4, bandRows: band.rows,
                          outputRowsPerTileRow: 8, slotFloats: band.floats, imageIndex: imageIndex, epilogue: epilogue,
                          scratch: scratch, threads: threads)
    }
}
