import MedaugSupport
import MedaugMicroKernels

/// 3×3, stride 1, padding 1 convolution by Winograd's F(4×4, 3×3): each
/// 4×4 output tile costs 36 multiply-adds per channel pair instead of 144,
/// against F(2×2, 3×3)'s 16 per 2×2 tile (`Winograd`), and moves 2.25
/// transformed floats per output pixel instead of 4. Its weights are 36/16
/// the size, which is why small layers with many channels keep F(2×2, 3×3)
/// (`SelectWinograd` has the rule and its measurement).
///
/// Layout and driver as `Winograd`: U[ξ][o][i] for the 36 points ξ of the
/// 6×6 transform domain, bands of whole tile rows (4 output rows each) run by
/// `Winograd.runBands` on the CPU tier's kernel (`winograd_f43.c`,
/// `winograd_f43_avx2.c`, `winograd_f43_neon.c`).
///
/// Numerics: G holds ¼, ⅙, 1/12 and 1/24 and Bᵀ, Aᵀ up to 8, so results
/// differ from direct convolution by ~1e-6 to 1e-5 relative in float32
/// (F(2×2, 3×3): ~1e-7); well inside the 1e-4 ONNX parity bound.
public enum WinogradF43 {
    /// Floats of `transformWeights`' result for O×I weights.
    public static func transformedWeightCount(outChannels: Int, inChannels: Int) -> Int {
        36 * outChannels * inChannels
    }

    /// U[ξ][o][i] = (G g Gᵀ)[ξ] for OIHW 3×3 weights g, with
    /// G = [[¼, 0, 0], [−⅙, −⅙, −⅙], [−⅙, ⅙, −⅙], [1/24, 1/12, ⅙],
    /// [1/24, −1/12, ⅙], [0, 0, 1]], computed in double and rounded once.
    public static func transformWeights(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                        into u: UnsafeMutableBufferPointer<Float>) {
        precondition(u.count >= transformedWeightCount(outChannels: outChannels, inChannels: inChannels))
        let plane = outChannels * inChannels
        // G applied to three values (a column or a row of a kernel).
        func expand(_ g0: Double, _ g1: Double, _ g2: Double) -> [Double] {
            [g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6, g0 / 24 + g1 / 12 + g2 / 6,
             g0 / 24 - g1 / 12 + g2 / 6, g2]
        }
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                let g = weights + (o * inChannels + i) * 9
                // t = G·g (6×3): the columns of g expanded; row r of t
                // expanded is row r of the 6×6 result.
                let columns = (0..<3).map { expand(Double(g[$0]), Double(g[3 + $0]), Double(g[6 + $0])) }
                for r in 0..<6 {
                    let row = expand(columns[0][r], columns[1][r], columns[2][r])
                    for c in 0..<6 {
                        u[(r * 6 + c) * plane + o * inChannels + i] = Float(row[c])
                    }
                }
            }
        }
    }

    /// Tile rows per band: about `tiles` tiles (GEMM columns), whole rows
    /// of quads, at least one.
    static func bandTileRows(width: Int, tileRows: Int, tiles: Int = 128) -> Int {
        let tilesPerRow = (width + 15) / 16 * 4
        return max(1, min(tileRows, tiles / tilesPerRow))
    }

    /// Tiles per band: 128, as `Winograd`, for layers of at least 128 × 128
    /// channels, whose transformed weights (2.4 MB and up) a band's GEMMs
    /// read once; fewer for narrower layers, so that a band's transformed
    /// input V and products M (36 · (in + out channels) floats per tile)
    /// stay within 256 KiB, in L2 from the input step to the output step
    /// (at least 32 tiles). 256 KiB is half the smallest L2 per core among
    /// the CPUs medaug targets (AMD Zen 2/3: 512 KB), as the 1 MiB measured
    /// below was half of this host's 2 MB; one fixed budget, not one read
    /// from the machine, keeps the bands (and the plan's scratch) the same
    /// on every machine. On this host it costs nothing measurable
    /// (2026-12-06, segmenter-256, batch 1, 2 threads, five alternating
    /// rounds of `medaug run --repeat 40` with the budget from a variable,
    /// medians of 1 MiB / 512 KiB / 256 KiB: avx512 31.87 / 31.73 / 32.09
    /// ms, avx2 under the benchmarks' AVX2-only view 47.09 / 46.95 / 47.19;
    /// the release builds before and after, four alternating rounds at
    /// batch 1 and 8 on both: 0.98–1.01× the time), and the outputs are the
    /// same bits (bands change which tiles share a GEMM, not the sum of any
    /// tile). Not measured on a 512 KB-L2 host.
    ///
    /// Measured on an Intel Xeon (Emerald Rapids, 2 MB L2 per core; the
    /// 2026-12-06 session): one layer, one thread, every band in turn
    /// (a C harness around `md_winograd_f43`, minimum of 21 passes), 128
    /// → 64 → 32 tiles per band, ms:
    /// - avx512: 32 → 32 channels at 256×256 3.73 → 3.35; 64 → 32 at 256
    ///   9.58 → 7.95; 64 → 64 at 128 3.90 → 3.42 → 3.22; 64 → 128 at 64
    ///   1.57 → 1.49 → 1.36; 128 → 128 at 64 2.93 → 2.93 → 2.87 and 256 →
    ///   256 at 32 2.43 → 2.54 → 2.63 (the weights re-read per band);
    /// - avx2: 64 → 32 at 256 13.00 → 11.51; 64 → 64 at 128 5.52 → 5.12
    ///   → 4.91; 512 → 256 at 32 7.58 → 7.31 → 7.11.
    /// Whole segmenter-256, batch 1, 2 threads, the rule switched from run
    /// to run inside one `medaug run --repeat` (three processes of 45
    /// runs): avx512 43.7 → 41.2 ms per image (dec.0.conv1 4.86 → 3.97,
    /// dec.1.conv2 1.98 → 1.60 in `MEDAUG_PROFILE=1` medians); forced avx2
    /// tier 60.6 → 59.0; avx512 at batch 8 43.4 → 40.7. Per-layer sums of
    /// other rules in the same alternation (avx512, batch 1): 128 tiles
    /// 44.35, the rule 41.51, a 512 KiB budget 41.71, the budget for every
    /// layer 42.05 (enc.3.conv2 1.65 → 1.73). The same budget for the
    /// F(2×2, 3×3) layers (the first layer on avx512 and the 16-pixel
    /// bottom ones) cost the bottom 0.1 ms each, so `Winograd` keeps 128.
    static func bandTiles(inChannels: Int, outChannels: Int) -> Int {
        guard inChannels * outChannels < 128 * 128 else { return 128 }
        let budget = (1 << 18) / (36 * (inChannels + outChannels) * MemoryLayout<Float>.size)
        return max(32, min(128, budget))
    }

    /// Tile rows per band and the scratch floats of one band.
    static func band(inChannels: Int, outChannels: Int, height: Int, width: Int) -> (rows: Int, floats: Int) {
        let rows = bandTileRows(width: width, tileRows: (height + 3) / 4,
                                tiles: bandTiles(inChannels: inChannels, outChannels: outChannels))
        return (rows, md_winograd_f43_scratch(Int32(inChannels), Int32(outChannels), Int32(width), Int32(rows)))
    }

    /// Scratch floats `forward` needs.
    public static func scratchCount(inChannels: Int, outChannels: Int, height: Int, width: Int, threads: Int) -> Int {
        max(1, threads) * band(inChannels: inChannels, outChannels: outChannels, height: height, width: width).floats
    }

    /// output = epilogue(conv3×3(input, weights)), as `Winograd.forward`.
    /// - Precondition: `CPUTier.current.runs(.winogradF43)`.
    public static func forward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int = 0, epilogue: Epilogue = Epilogue(),
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let band = band(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        Winograd.runBands(md_winograd_f43, input: input, inChannels: inChannels, height: height, width: width,
                          transformedWeights: u, output: output, outChannels: outChannels, outHeight: height,
                          outWidth: width, tileRows: (height + 3) / 4, bandRows: band.rows, outputRowsPerTileRow: 4,
                          slotFloats: band.floats, imageIndex: imageIndex, epilogue: epilogue, scratch: scratch,
                          threads: threads)
    }
}
