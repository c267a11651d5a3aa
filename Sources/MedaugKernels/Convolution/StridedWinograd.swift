import MedaugMicroKernels
import MedaugSupport

/// pix2pix's 4×4, stride-2, padding-1 convolutions and transposed
/// convolutions by Winograd F(2×2, 2×2): each splits into 2×2 stride-1
/// correlations (by input parity for the convolution, by output phase for
/// the transposed one; `winograd_f22.c` shows how), each computed with 9
/// multiply-adds per 2×2 tile instead of 16 (1.78× fewer). Bands, threads
/// and the epilogue work as in `Winograd.forward`.
public enum StridedWinograd {
    /// Floats of either weight transform's result.
    public static func transformedWeightCount(outChannels: Int, inChannels: Int) -> Int {
        36 * outChannels * inChannels
    }

    /// U[9][O][4·I] from OIHW O×I×4×4 convolution weights, into `u`
    /// (`transformedWeightCount` floats), `threads` sharing the output
    /// channels (the trainer transforms every pass).
    public static func transformConvolutionWeights(
        _ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
        into u: UnsafeMutableBufferPointer<Float>, threads: Int = 1
    ) {
        precondition(u.count >= transformedWeightCount(outChannels: outChannels, inChannels: inChannels))
        transformRows(md_winograd_f22_conv_weights_rows, weights, outChannels: outChannels,
                      inChannels: inChannels, into: u.baseAddress!, threads: threads)
    }

    /// U[4][9][O][I] from IOHW I×O×4×4 transposed-convolution weights, into `u`.
    public static func transformTransposedWeights(
        _ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
        into u: UnsafeMutableBufferPointer<Float>, threads: Int = 1
    ) {
        precondition(u.count >= transformedWeightCount(outChannels: outChannels, inChannels: inChannels))
        transformRows(md_winograd_f22_transposed_weights_rows, weights, outChannels: outChannels,
                      inChannels: inChannels, into: u.baseAddress!, threads: threads)
    }

    /// Tile rows per band of the convolution (a tile row = 2 output rows) and
    /// the scratch floats of one band.
    static func convolutionBand(inChannels: Int, outChannels: Int, height: Int, width: Int)
        -> (rows: Int, floats: Int) {
        let outWidth = width / 2
        let rows = Winograd.bandTileRows(tilesPerRow: (outWidth + 1) / 2, tileRows: (height / 2 + 1) / 2)
        return (rows, md_winograd_f22_conv_scratch(Int32(inChannels), Int32(outChannels), Int32(outWidth),
                                                       Int32(rows)))
    }

    /// The same for the transposed convolution (a tile row = 2 input rows):
    /// 64 tiles a band, since it keeps 36 transformed matrices.
    static func transposedBand(inChannels: Int, outChannels: Int, height: Int, width: Int)
        -> (rows: Int, floats: Int) {
        let rows = Winograd.bandTileRows(tilesPerRow: (width + 1) / 2, tileRows: (height + 1) / 2, tiles: 64)
        return (rows, md_winograd_f22_transposed_scratch(Int32(inChannels), Int32(outChannels), Int32(width),
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
    /// one image. Parameters as in `Winograd.forward`, with
    /// `transformConvolutionWeights`' result.
    public static func convolutionForward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int = 0, epilogue: Epilogue = Epilogue(),
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let outHeight = height / 2, outWidth = width / 2
        let band = convolutionBand(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        Winograd.runBands(md_winograd_f22_conv, input: input, inChannels: inChannels, height: height,
                          width: width, transformedWeights: u, output: output, outChannels: outChannels,
                          outHeight: outHeight, outWidth: outWidth, tileRows: (outHeight + 1) / 2, bandRows: band.rows,
                          outputRowsPerTileRow: 2, slotFloats: band.floats, imageIndex: imageIndex, epilogue: epilogue,
                          scratch: scratch, threads: threads)
    }

    /// output = epilogue(convTranspose(input, weights)), kernel 4, stride 2,
    /// padding 1: `inChannels`×`height`×`width` → `outChannels`×2·height×
    /// 2·width, one image, with `transformTransposedWeights`' result.
    public static func transposedForward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int = 0, epilogue: Epilogue = Epilogue(),
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let band = transposedBand(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        Winograd.runBands(md_winograd_f22_transposed, input: input, inChannels: inChannels, height: height,
                          width: width, transformedWeights: u, output: output, outChannels: outChannels,
                          outHeight: 2 * height, outWidth: 2 * width, tileRows: (height + 1) / 2, bandRows: band.rows,
                          outputRowsPerTileRow: 4, slotFloats: band.floats, imageIndex: imageIndex, epilogue: epilogue,
                          scratch: scratch, threads: threads)
    }
}

/// Runs a `_rows` weight transform (`winograd_weights.c`) of O×I weights
/// into `u` on up to `threads` threads, each writing the rows of U of one
/// block of output channels.
func transformRows(
    _ transform: (Int32, Int32, Int32, Int32, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void,
    _ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int, into u: UnsafeMutablePointer<Float>,
    threads: Int
) {
    let parts = min(max(1, threads), outChannels)
    parallelFor(parts, threads: threads) { part in
        let rows = splitRange(outChannels, parts: parts, part: part)
        transform(Int32(inChannels), Int32(outChannels), Int32(rows.lowerBound), Int32(rows.upperBound), weights, u)
    }
}
