/// 3×3, stride 1, padding 1 convolution by Winograd's minimal filtering
/// F(2×2, 3×3) (Lavin & Gray, 2015): each 2×2 output tile costs 16
/// multiply-adds per channel pair instead of 36, i.e. 2.25× fewer, paid for
/// with input and output transforms that are linear in the channel count.
///
/// Layout: the weights are transformed once (`transformWeights`) into
/// U[ξ][o][i] for the 16 points ξ of the 4×4 transform domain. A forward
/// pass takes bands of whole tile rows; per band it transforms the input
/// tiles into V[ξ][i][t], runs 16 GEMMs M[ξ] = U[ξ]·V[ξ] (O×I by I×T) and
/// transforms M back into 2×2 output tiles. Bands are spread over the
/// threads, each with its own scratch slot, so the transformed blocks stay
/// in cache.
///
/// Numerics: the transforms use only ±1 and ½, so results differ from direct
/// convolution by summation order (relative error ~1e-6 in float32).
///
/// Not yet used by the engine: wiring it in (weights transformed at load,
/// scratch in the arena plan, the epilogue after the output transform) and
/// choosing it per layer by measurement are the next steps of issue 2.
public enum Winograd {
    /// Floats of `transformWeights`' result for O×I weights.
    public static func transformedWeightCount(outChannels: Int, inChannels: Int) -> Int {
        16 * outChannels * inChannels
    }

    /// U[ξ][o][i] = (G g Gᵀ)[ξ] for OIHW 3×3 weights g, with
    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    public static func transformWeights(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int)
        -> [Float] {
        let plane = outChannels * inChannels
        var u = [Float](repeating: 0, count: 16 * plane)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                let g = weights + (o * inChannels + i) * 9
                // t = G·g (4×3), then t·Gᵀ (4×4).
                var t = [Float](repeating: 0, count: 12)
                for c in 0..<3 {
                    let (g0, g1, g2) = (g[c], g[3 + c], g[6 + c])
                    t[c] = g0
                    t[3 + c] = 0.5 * (g0 + g1 + g2)
                    t[6 + c] = 0.5 * (g0 - g1 + g2)
                    t[9 + c] = g2
                }
                for r in 0..<4 {
                    let (t0, t1, t2) = (t[r * 3], t[r * 3 + 1], t[r * 3 + 2])
                    let row = [t0, 0.5 * (t0 + t1 + t2), 0.5 * (t0 - t1 + t2), t2]
                    for c in 0..<4 { u[(r * 4 + c) * plane + o * inChannels + i] = row[c] }
                }
            }
        }
        return u
    }

    /// Tile rows per band: enough tiles for the GEMMs to run well, few
    /// enough that V and M of a band stay within about 1 MiB each.
    static func bandTileRows(inChannels: Int, outChannels: Int, tilesPerRow: Int) -> Int {
        let perRow = 16 * max(inChannels, outChannels) * tilesPerRow
        return max(1, (256 * 1024) / max(1, perRow))
    }

    /// Scratch floats `forward` needs.
    public static func scratchCount(inChannels: Int, outChannels: Int, height: Int, width: Int, threads: Int) -> Int {
        let tilesPerRow = (width + 1) / 2, tileRows = (height + 1) / 2
        let rows = min(tileRows, bandTileRows(inChannels: inChannels, outChannels: outChannels, tilesPerRow: tilesPerRow))
        let tiles = rows * tilesPerRow
        return max(1, threads) * 16 * (inChannels + outChannels) * tiles
    }

    /// output = conv3×3(input, weights), stride 1, padding 1 (no bias, no
    /// activation: the caller's epilogue follows).
    ///
    /// - Parameters:
    ///   - input: `inChannels`×`height`×`width`, one image.
    ///   - transformedWeights: `transformWeights`' result.
    ///   - output: `outChannels`×`height`×`width`.
    ///   - scratch: at least `scratchCount(...)` floats.
    public static func forward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, outChannels: Int,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let tilesPerRow = (width + 1) / 2, tileRows = (height + 1) / 2
        let bandRows = min(tileRows, bandTileRows(inChannels: inChannels, outChannels: outChannels,
                                                 tilesPerRow: tilesPerRow))
        let bands = (tileRows + bandRows - 1) / bandRows
        let slotFloats = 16 * (inChannels + outChannels) * bandRows * tilesPerRow
        let workers = max(1, min(threads, bands))
        parallelFor(workers, threads: workers) { worker in
            let v = scratch + worker * slotFloats
            for band in splitRange(bands, parts: workers, part: worker) {
                let firstRow = band * bandRows
                let rows = min(bandRows, tileRows - firstRow)
                let tiles = rows * tilesPerRow
                let m = v + 16 * inChannels * tiles
                transformInput(input, inChannels: inChannels, height: height, width: width,
                               firstTileRow: firstRow, tileRows: rows, tilesPerRow: tilesPerRow, v: v)
                for xi in 0..<16 {
                    Gemm.multiply(m: outChannels, n: tiles, k: inChannels,
                                  a: u + xi * outChannels * inChannels, lda: inChannels,
                                  b: v + xi * inChannels * tiles, ldb: tiles,
                                  c: m + xi * outChannels * tiles, ldc: tiles, threads: 1)
                }
                transformOutput(m, outChannels: outChannels, height: height, width: width,
                                firstTileRow: firstRow, tileRows: rows, tilesPerRow: tilesPerRow, output: output)
            }
        }
    }

    /// V[ξ][i][t] = (Bᵀ d B)[ξ] for each input tile d (4×4, zero outside the
    /// image), Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
    static func transformInput(_ input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
                               firstTileRow: Int, tileRows: Int, tilesPerRow: Int, v: UnsafeMutablePointer<Float>) {
        let tiles = tileRows * tilesPerRow
        let stride = inChannels * tiles
        // Scratch per call, not per tile (no allocation in the loops).
        var d = [Float](repeating: 0, count: 16), t = [Float](repeating: 0, count: 16)
        for i in 0..<inChannels {
            let plane = input + i * height * width
            for ty in 0..<tileRows {
                let top = 2 * (firstTileRow + ty) - 1
                for tx in 0..<tilesPerRow {
                    let left = 2 * tx - 1
                    for r in 0..<4 {
                        let y = top + r
                        for c in 0..<4 {
                            let x = left + c
                            d[r * 4 + c] = (y >= 0 && y < height && x >= 0 && x < width) ? plane[y * width + x] : 0
                        }
                    }
                    // Bᵀ·d (rows), then ·B (columns).
                    for c in 0..<4 {
                        let (d0, d1, d2, d3) = (d[c], d[4 + c], d[8 + c], d[12 + c])
                        t[c] = d0 - d2
                        t[4 + c] = d1 + d2
                        t[8 + c] = d2 - d1
                        t[12 + c] = d1 - d3
                    }
                    let slot = v + i * tiles + ty * tilesPerRow + tx
                    for r in 0..<4 {
                        let (t0, t1, t2, t3) = (t[r * 4], t[r * 4 + 1], t[r * 4 + 2], t[r * 4 + 3])
                        slot[(r * 4 + 0) * stride] = t0 - t2
                        slot[(r * 4 + 1) * stride] = t1 + t2
                        slot[(r * 4 + 2) * stride] = t2 - t1
                        slot[(r * 4 + 3) * stride] = t1 - t3
                    }
                }
            }
        }
    }

    /// Y = Aᵀ M A for each tile, Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; the
    /// 2×2 results land in the output (clipped at an odd edge).
    static func transformOutput(_ m: UnsafePointer<Float>, outChannels: Int, height: Int, width: Int,
                                firstTileRow: Int, tileRows: Int, tilesPerRow: Int,
                                output: UnsafeMutablePointer<Float>) {
        let tiles = tileRows * tilesPerRow
        let stride = outChannels * tiles
        var a0 = [Float](repeating: 0, count: 4), a1 = [Float](repeating: 0, count: 4)
        for o in 0..<outChannels {
            let plane = output + o * height * width
            for ty in 0..<tileRows {
                let y = 2 * (firstTileRow + ty)
                for tx in 0..<tilesPerRow {
                    let slot = m + o * tiles + ty * tilesPerRow + tx
                    // Aᵀ·M: 2×4.
                    for c in 0..<4 {
                        let (m0, m1, m2, m3) = (slot[c * stride], slot[(4 + c) * stride],
                                                slot[(8 + c) * stride], slot[(12 + c) * stride])
                        a0[c] = m0 + m1 + m2
                        a1[c] = m1 - m2 - m3
                    }
                    let x = 2 * tx
                    // ·A: the 2×2 tile, clipped at an odd right or bottom edge.
                    let top = plane + y * width + x
                    top[0] = a0[0] + a0[1] + a0[2]
                    if x + 1 < width { top[1] = a0[1] - a0[2] - a0[3] }
                    if y + 1 < height {
                        top[width] = a1[0] + a1[1] + a1[2]
                        if x + 1 < width { top[width + 1] = a1[1] - a1[2] - a1[3] }
                    }
                }
            }
        }
    }
}
