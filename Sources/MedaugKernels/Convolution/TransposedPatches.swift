import MedaugSupport

/// Transposed convolutions whose kernel equals their stride, without
/// padding (the U-Net's 2×2 stride-2 up-convolutions): each input pixel
/// expands into its own k×k patch of the output, and no two patches
/// overlap. So the GEMM's columns (input pixels) can be taken a few input
/// rows at a time, and each chunk's k·k·O rows written into the output
/// while they are still in L2, instead of all columns going to memory
/// before col2im reads them back. Each thread runs whole chunks on a
/// one-thread GEMM in its own scratch; the chunks are fixed by the shapes
/// alone, so the output does not depend on the thread count. Every element
/// is the same GEMM element as before, written once: the outputs are the
/// bits of GEMM + col2im (`cmp` of `medaug run` outputs, avx512 and avx2,
/// batch 1 and 8, 1 and 2 threads).
extension Convolution {
    /// GEMM output floats of one chunk: 128 Ki (512 KiB), what a core's L2
    /// holds on every x86 host here (AMD Zen 2 and 3 have 512 KB).
    ///
    /// Measured on an Intel Xeon (Emerald Rapids, 2 threads) on
    /// segmenter-256's dec.3 … dec.0 `.up` (1024, 512, 256, 128 GEMM rows
    /// at 16² … 128² input pixels), the variant switched from run to run in
    /// one `medaug run --repeat` (`MEDAUG_PROFILE=1` medians, three
    /// processes of 30 runs), ms:
    /// - GEMM of all columns, then col2im: avx512 0.91, 0.94, 1.04, 1.38;
    ///   forced avx2 tier 1.48, 0.99, 1.09, 1.49;
    /// - chunks of 512 KiB: avx512 0.89, 0.85, 0.94, 1.19; avx2 1.48, 0.93,
    ///   1.02, 1.31. Whole segmenter at batch 1 the same within 1% (avx512
    ///   35.7 and 35.7 ms, avx2 53.2 → 52.8), at batch 8 38.4 → 37.3.
    /// - Other chunk sizes, a second alternation (the host slower), sums of
    ///   the four layers: 512 KiB 4.53 (avx512) and 5.26 (avx2), 256 KiB
    ///   4.67 and 5.39, 1 MiB 4.60 and 5.31, 128 KiB 5.00 and 5.67.
    static let chunkFloats = 1 << 17

    /// Whether `transposedForward` (and so `transposedScratchCount`) takes
    /// this path: one image, no column-exact GEMM, kernel = stride, no
    /// padding.
    static func expandsPatches(_ g: ConvGeometry, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
                               images: Int, columnExact: Bool) -> Bool {
        images == 1 && !columnExact && g.kernel == g.stride && g.kernel > 1 && g.padding == 0
            && outHeight == inHeight * g.kernel && outWidth == inWidth * g.kernel
    }

    /// How the input rows are cut for a GEMM of `rows` rows: as many rows
    /// per chunk as keep it within `chunkFloats` (at least one), the number
    /// of chunks, and the threads that take them.
    static func patchChunks(rows: Int, inHeight: Int, inWidth: Int, threads: Int)
        -> (rowsPerChunk: Int, count: Int, workers: Int) {
        let rowsPerChunk = max(1, min(inHeight, chunkFloats / max(1, rows * inWidth)))
        let count = (inHeight + rowsPerChunk - 1) / rowsPerChunk
        return (rowsPerChunk, count, max(1, min(threads, count)))
    }

    /// Scratch floats of the path: one chunk per thread.
    static func patchScratchCount(outChannels: Int, kernel: Int, inHeight: Int, inWidth: Int, threads: Int) -> Int {
        let rows = outChannels * kernel * kernel
        let chunks = patchChunks(rows: rows, inHeight: inHeight, inWidth: inWidth, threads: threads)
        return chunks.workers * rows * chunks.rowsPerChunk * inWidth
    }

    /// output = epilogue(convTranspose(input)) for one image of a layer that
    /// `expandsPatches`; parameters as `transposedForward`.
    static func transposedPatchesForward(
        input: UnsafePointer<Float>, inChannels: Int, inHeight: Int, inWidth: Int,
        weights: UnsafePointer<Float>, layout: TransposedWeightLayout, outChannels: Int, kernel k: Int,
        output: UnsafeMutablePointer<Float>, imageIndex: Int, epilogue: Epilogue,
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let rows = outChannels * k * k
        let (chunkRows, chunks, workers) = patchChunks(rows: rows, inHeight: inHeight, inWidth: inWidth,
                                                       threads: threads)
        let outWidth = inWidth * k, spatial = inHeight * k * outWidth
        let elementwise = epilogue.isElementwise && !epilogue.isIdentity
        parallelFor(workers, threads: workers) { worker in
            let cols = scratch + worker * rows * chunkRows * inWidth
            for chunk in splitRange(chunks, parts: workers, part: worker) {
                let first = chunk * chunkRows, count = min(chunkRows, inHeight - first), n = count * inWidth
                Gemm.multiply(m: rows, n: n, k: inChannels, a: weights, lda: layout == .iohw ? rows : inChannels,
                              transposeA: layout == .iohw, b: input + first * inWidth, ldb: inHeight * inWidth,
                              c: cols, ldc: n, threads: 1)
                // Row (c·k + ky)·k + kx, column (y − first)·W + x of the
                // chunk goes to output (c, y·k + ky, x·k + kx).
                let start = first * k * outWidth, end = (first + count) * k * outWidth
                for c in 0..<outChannels {
                    let plane = output + c * spatial
                    for y in 0..<count {
                        for ky in 0..<k {
                            let row = plane + ((first + y) * k + ky) * outWidth
                            let taps = cols + ((c * k + ky) * k) * n + y * inWidth
                            scatter(taps, stride: n, kernel: k, width: inWidth, into: row)
                        }
                    }
                    if elementwise {
                        epilogue.apply(toSlice: plane + start, range: start..<end, channel: c, channels: outChannels,
                                       spatial: spatial, image: imageIndex)
                    }
                }
            }
        }
        if !epilogue.isElementwise {
            epilogue.apply(toImage: output, channels: outChannels, spatial: spatial, image: imageIndex,
                           threads: threads)
        }
    }

    /// row[x·k + kx] = taps[kx·stride + x] for x < width, kx < k: the k
    /// rows of one output row's taps interleaved.
    static func scatter(_ taps: UnsafePointer<Float>, stride: Int, kernel k: Int, width: Int,
                        into row: UnsafeMutablePointer<Float>) {
        if k == 2 {
            let even = taps, odd = taps + stride
            for x in 0..<width {
                row[2 * x] = even[x]
                row[2 * x + 1] = odd[x]
            }
            return
        }
        for kx in 0..<k {
            let source = taps + kx * stride
            for x in 0..<width { row[x * k + kx] = source[x] }
        }
    }
}
