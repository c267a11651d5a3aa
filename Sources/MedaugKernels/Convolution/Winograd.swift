import MedaugSupport
import MedaugMicroKernels

/// 3×3, stride 1, padding 1 convolution by Winograd's minimal filtering
/// F(2×2, 3×3) (Lavin & Gray, 2015): each 2×2 output tile costs 16
/// multiply-adds per channel pair instead of 36, i.e. 2.25× fewer, paid for
/// with input and output transforms that are linear in the channel count.
///
/// Layout: the weights are transformed once (`transformWeights`, at graph
/// build) into U[ξ][o][i] for the 16 points ξ of the 4×4 transform domain. A
/// forward pass takes bands of whole tile rows; per band the CPU tier's
/// kernel (`winograd_f23.c`, `winograd_f23_avx2.c`) transforms the input tiles into V[ξ][i][t], runs 16
/// GEMMs M[ξ] = U[ξ]·V[ξ] (O×I by I×T) and transforms M back into 2×2 output
/// tiles, adding bias and activation at the store. Bands are spread over the
/// threads (`runBands`), each with its own scratch slot; an image with fewer
/// bands than threads shares each band between them step by step.
///
/// Numerics: the transforms use only ±1 and ½, so results differ from direct
/// convolution by summation order (relative error ~1e-6 in float32).
public enum Winograd {
    /// Floats of `transformWeights`' result for O×I weights.
    public static func transformedWeightCount(outChannels: Int, inChannels: Int) -> Int {
        16 * outChannels * inChannels
    }

    /// U[ξ][o][i] = (G g Gᵀ)[ξ] for OIHW 3×3 weights g, with
    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    public static func transformWeights(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int)
        -> [Float] {
        [Float](unsafeUninitializedCapacity: transformedWeightCount(outChannels: outChannels, inChannels: inChannels)) {
            u, count in
            transformWeights(weights, outChannels: outChannels, inChannels: inChannels, into: u)
            count = u.count
        }
    }

    /// The same into `u` (`transformedWeightCount` floats).
    public static func transformWeights(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                        into u: UnsafeMutableBufferPointer<Float>) {
        precondition(u.count >= transformedWeightCount(outChannels: outChannels, inChannels: inChannels))
        let plane = outChannels * inChannels
        // G applied to three values (a column or a row of a kernel).
        func expand(_ g0: Float, _ g1: Float, _ g2: Float) -> (Float, Float, Float, Float) {
            (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
        }
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                let g = weights + (o * inChannels + i) * 9
                // t = G·g (4×3): the columns of g expanded; then each row
                // of t expanded (t·Gᵀ) is row r of the 4×4 result.
                let c0 = expand(g[0], g[3], g[6]), c1 = expand(g[1], g[4], g[7]), c2 = expand(g[2], g[5], g[8])
                func store(_ r: Int, _ row: (Float, Float, Float, Float)) {
                    let base = r * 4 * plane + o * inChannels + i
                    u[base] = row.0
                    u[base + plane] = row.1
                    u[base + 2 * plane] = row.2
                    u[base + 3 * plane] = row.3
                }
                store(0, expand(c0.0, c1.0, c2.0))
                store(1, expand(c0.1, c1.1, c2.1))
                store(2, expand(c0.2, c1.2, c2.2))
                store(3, expand(c0.3, c1.3, c2.3))
            }
        }
    }

    /// Tile rows per band: about `tiles` tiles (GEMM columns), so a band's
    /// GEMMs reuse each U[ξ] over many columns (U of a 512-channel layer is
    /// 16 MiB and comes from memory once per band), while V and M of a band
    /// stay a few MiB. Rows of at most 8 tiles are stacked two to a vector
    /// (`winograd_common.h`), so bands then hold an even number of rows.
    static func bandTileRows(tilesPerRow: Int, tileRows: Int, tiles: Int = 128) -> Int {
        let stacked = tilesPerRow <= 8
        let perVectorRow = stacked ? 16 : (tilesPerRow + 15) / 16 * 16
        let vectorRows = max(1, (tiles + perVectorRow - 1) / perVectorRow)
        return min(tileRows, vectorRows * (stacked ? 2 : 1))
    }

    /// Tile rows per band and the scratch floats of one band.
    static func band(inChannels: Int, outChannels: Int, height: Int, width: Int) -> (rows: Int, floats: Int) {
        let rows = bandTileRows(tilesPerRow: (width + 1) / 2, tileRows: (height + 1) / 2)
        return (rows, md_winograd_f23_scratch(Int32(inChannels), Int32(outChannels), Int32(width), Int32(rows)))
    }

    /// Scratch floats `forward` needs.
    public static func scratchCount(inChannels: Int, outChannels: Int, height: Int, width: Int, threads: Int) -> Int {
        max(1, threads) * band(inChannels: inChannels, outChannels: outChannels, height: height, width: width).floats
    }

    /// output = epilogue(conv3×3(input, weights)), stride 1, padding 1, for
    /// one image. Bias and ReLU/LeakyReLU are applied by the kernel as it
    /// stores; any other elementwise epilogue runs on each band right after,
    /// and instance normalisation or softmax once the image is complete.
    ///
    /// - Parameters:
    ///   - input: `inChannels`×`height`×`width`.
    ///   - transformedWeights: `transformWeights`' result.
    ///   - output: `outChannels`×`height`×`width`.
    ///   - imageIndex: the image's index in the batch (keys dropout).
    ///   - scratch: at least `scratchCount(...)` floats (64-byte aligned is fastest).
    /// - Precondition: `CPUTier.current.runs(.winograd)`.
    public static func forward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int = 0, epilogue: Epilogue = Epilogue(),
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let band = band(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        runBands(md_winograd_f23, input: input, inChannels: inChannels, height: height, width: width,
                 transformedWeights: u, output: output, outChannels: outChannels, outHeight: height, outWidth: width,
                 tileRows: (height + 1) / 2, bandRows: band.rows, outputRowsPerTileRow: 2, slotFloats: band.floats,
                 imageIndex: imageIndex, epilogue: epilogue, scratch: scratch, threads: threads)
    }

    /// A band kernel of `md_microkernels.h`.
    typealias BandKernel = @convention(c) (UnsafePointer<md_winograd_layer>?, Int32, Int32, Int32, Int32, Int32,
                                           UnsafeMutablePointer<Float>?) -> Int32

    /// The band driver shared by the Winograd kernels. With at least as many
    /// bands as threads (and no lopsided remainder), each worker runs whole
    /// bands in its own scratch slot of `slotFloats`; otherwise (a small
    /// image) the threads share each band, step by step: input transform
    /// split by input channels, GEMMs and output transform by output
    /// channels. The kernel applies bias and ReLU/LeakyReLU as it stores;
    /// the rest of the epilogue follows here.
    static func runBands(
        _ kernel: BandKernel, input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, outChannels: Int,
        outHeight: Int, outWidth: Int, tileRows: Int, bandRows: Int, outputRowsPerTileRow: Int, slotFloats: Int,
        imageIndex: Int, epilogue: Epilogue, scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let spatial = outHeight * outWidth
        let bands = (tileRows + bandRows - 1) / bandRows
        let fused = storeActivation(of: epilogue)
        let bandEpilogue = fused == nil && epilogue.isElementwise && !epilogue.isIdentity
        let layer = md_winograd_layer(
            cin: Int32(inChannels), h: Int32(height), w: Int32(width), cout: Int32(outChannels), input: input, u: u,
            bias: fused == nil ? nil : epilogue.bias, output: output,
            activation: fused?.code ?? MD_ACTIVATION_NONE, slope: fused?.slope ?? 0)
        func run(_ step: Int32, _ band: Int, _ channels: Range<Int>, _ slot: UnsafeMutablePointer<Float>) {
            let first = band * bandRows, last = min(tileRows, first + bandRows)
            let ran = withUnsafePointer(to: layer) {
                kernel($0, step, Int32(first), Int32(last), Int32(channels.lowerBound), Int32(channels.upperBound), slot)
            }
            precondition(ran == 1, "a Winograd kernel refused a tier that runs it")
        }
        func finish(_ band: Int, channels: Range<Int>) {
            guard bandEpilogue else { return }
            let start = outputRowsPerTileRow * band * bandRows * outWidth
            let end = min(spatial, outputRowsPerTileRow * min(tileRows, (band + 1) * bandRows) * outWidth)
            for c in channels {
                epilogue.apply(toSlice: output + c * spatial + start, range: start..<end, channel: c,
                               channels: outChannels, spatial: spatial, image: imageIndex)
            }
        }
        let shared = threads > 1 && (bands < threads || (bands < 4 * threads && bands % threads != 0))
        if shared {
            let blocks = (outChannels + 7) / 8
            for band in 0..<bands {
                parallelFor(threads, threads: threads) { part in
                    run(MD_WINOGRAD_INPUT, band, splitRange(inChannels, parts: threads, part: part), scratch)
                }
                parallelFor(threads, threads: threads) { part in
                    let rows = splitRange(blocks, parts: threads, part: part)
                    run(MD_WINOGRAD_MULTIPLY, band, (rows.lowerBound * 8)..<min(outChannels, rows.upperBound * 8),
                        scratch)
                }
                parallelFor(threads, threads: threads) { part in
                    let channels = splitRange(outChannels, parts: threads, part: part)
                    run(MD_WINOGRAD_OUTPUT, band, channels, scratch)
                    finish(band, channels: channels)
                }
            }
        } else {
            let workers = max(1, min(threads, bands))
            parallelFor(workers, threads: workers) { worker in
                let slot = scratch + worker * slotFloats
                for band in splitRange(bands, parts: workers, part: worker) {
                    run(MD_WINOGRAD_ALL, band, 0..<0, slot)
                    finish(band, channels: 0..<outChannels)
                }
            }
        }
        if !epilogue.isElementwise {
            epilogue.apply(toImage: output, channels: outChannels, spatial: spatial, image: imageIndex,
                           threads: threads)
        }
    }

    /// The kernel's own store-time activation when the epilogue is at most
    /// bias + ReLU/LeakyReLU/identity; nil when it needs the general path.
    static func storeActivation(of epilogue: Epilogue) -> (code: Int32, slope: Float)? {
        guard epilogue.dropout == nil, case .none = epilogue.normalization else { return nil }
        switch epilogue.activation {
        case .identity: return (MD_ACTIVATION_NONE, 0)
        case .relu: return (MD_ACTIVATION_RELU, 0)
        case .leakyRelu(let slope): return (MD_ACTIVATION_LEAKY_RELU, slope)
        case .tanh, .sigmoid, .softmax: return nil
        }
    }
}
