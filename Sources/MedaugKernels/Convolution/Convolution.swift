import MedaugSupport
import MedaugMicroKernels

/// Convolution forward passes built from im2col/col2im, OpenBLAS GEMM and a
/// fused epilogue. They work on a group of `images` images at once: the
/// columns of the whole group go into one GEMM, so deep layers with few
/// pixels read their weights once per group instead of once per image.
///
/// An image's output must not depend on the other images of its group
/// (README, "Determinism"). The caller therefore groups a layer's images
/// only with `columnExact` set, on every run of that layer, grouped or not:
/// its GEMMs then go to `Gemm.multiplyColumnExact`, whose elements do not
/// depend on how many columns sit beside them, and the one-image shortcuts
/// (direct kernel, tiles) are skipped.
public enum Convolution {
    /// Tiles of convolutions with at most this many output channels run on
    /// medaug's packed-strips kernel instead of OpenBLAS, per CPU tier.
    /// Measured (single-thread GEMM of a tile, this tier's kernel against
    /// OpenBLAS's kernel for the same instruction set, on an AVX-512 host):
    /// - avx512: faster at every channel count of the paper's networks
    ///   (~10% on the generator's 128–512-channel layers, paired A/B runs),
    ///   since OpenBLAS re-packs the weights for every tile.
    /// - avx2 (6×16 kernel against OpenBLAS Haswell): 76 vs 62 GFLOP/s at 32
    ///   channels, a tie at 64, 101 vs 94 at 128 (k 1152), but 77 vs 85 at 256
    ///   and 74 vs 88 at 512. Whole layers, though, were slower with it
    ///   (segmenter-256's 32-channel 256×256 layers ~12 → ~16 ms: unfolding
    ///   into packed strips costs more than the kernel gains), so the AVX2
    ///   tier leaves tiles to OpenBLAS until a real AVX2-only CPU says
    ///   otherwise (not measured on one yet).
    static func stripsMaxChannels(for tier: CPUTier) -> Int {
        if let stripsMaxChannelsOverride { return stripsMaxChannelsOverride }
        switch tier {
        case .avx512: return 512
        case .avx2: return 0
        case .neon, .generic: return 0
        }
    }

    /// Replaces `stripsMaxChannels(for:)` when set (tests force either path).
    nonisolated(unsafe) static var stripsMaxChannelsOverride: Int?

    /// See `tiling`; a variable so tests can force tiny tiles.
    nonisolated(unsafe) static var minimumTileColumns = 256

    /// Floats of im2col columns one tile may hold: 1 MiB keeps a tile and its
    /// GEMM's packed panels in a core's L2 instead of streaming a column
    /// matrix of up to 9× the input through memory. (A variable only so
    /// tests can force tiny tiles.)
    nonisolated(unsafe) static var tileFloats = 256 * 1024

    /// How a single image's convolution is cut into tiles of whole output
    /// rows, each unfolded and multiplied by one thread; nil when the layer
    /// is too small to give every thread at least two tiles (it then runs as
    /// one GEMM split over the threads).
    public static func tiling(inChannels: Int, geometry g: ConvGeometry, outHeight: Int, outWidth: Int,
                              threads: Int) -> (rowsPerTile: Int, tiles: Int)? {
        guard !g.isPointwise else { return nil }
        let depth = inChannels * g.kernel * g.kernel
        // At least `minimumTileColumns` per tile, or the GEMM's fixed costs
        // (packing a weight panel per call) dominate a deep layer's tiles.
        let columns = max(minimumTileColumns, tileFloats / max(1, depth))
        let rows = max(1, columns / max(1, outWidth))
        let tiles = (outHeight + rows - 1) / rows
        return tiles >= 2 * max(1, threads) ? (rows, tiles) : nil
    }

    /// Whether one image's convolution runs on the direct stride-1 kernel
    /// (no im2col): stride 1, kernel ≤ 7, rows wide enough to fill its
    /// 32-pixel strips, a reduction small enough that the input rows it
    /// re-reads for every 8 output channels stay near L1 (measured: at
    /// 512 channels × 3×3 OpenBLAS on im2col tiles wins), and a CPU tier
    /// with the direct kernel (avx512, avx2). AVX2 was measured only by
    /// emulation (`MEDAUG_CPU=avx2 OPENBLAS_CORETYPE=Haswell` on an AVX-512
    /// host, segmenter-256 batch 1, 3 interleaved runs): 43.2–47.4 ms with it,
    /// 44.4–46.3 without, a tie; not measured on an AVX2-only CPU.
    public static func usesDirect(geometry g: ConvGeometry, inChannels: Int, outWidth: Int) -> Bool {
        CPUTier.current.runs(.direct) && g.stride == 1 && !g.isPointwise && g.kernel <= 7
            && outWidth >= 32 && inChannels * g.kernel * g.kernel <= 2304
    }

    /// Scratch floats `forward` needs for a group of `images` images.
    public static func scratchCount(
        inChannels: Int, outChannels: Int, geometry: ConvGeometry,
        outHeight: Int, outWidth: Int, images: Int, columnExact: Bool = false, threads: Int = 1
    ) -> Int {
        let shortcuts = images == 1 && !columnExact
        if shortcuts && usesDirect(geometry: geometry, inChannels: inChannels, outWidth: outWidth) { return 0 }
        if shortcuts, let tiling = tiling(inChannels: inChannels, geometry: geometry, outHeight: outHeight,
                                            outWidth: outWidth, threads: threads) {
            let depth = inChannels * geometry.kernel * geometry.kernel
            return threads * Gemm.packedStripsCount(n: tiling.rowsPerTile * outWidth, k: depth)
        }
        let columns = images * outHeight * outWidth
        let depth = inChannels * geometry.kernel * geometry.kernel
        let staged = images == 1 ? 0 : outChannels * columns
        if columnExact { return Gemm.packedStripsCount(n: columns, k: depth) + staged }
        return (geometry.isPointwise ? 0 : depth * columns) + staged
    }

    /// y = epilogue(W ∗ x) for `images` images.
    ///
    /// - Parameters:
    ///   - input: image `n` starts at `input + n·inputStride`; its `inChannels`
    ///     planes are contiguous (a channel slice of a larger buffer is fine).
    ///   - weights: OIHW, `outChannels`×`inChannels`×k×k.
    ///   - output: image `n` starts at `output + n·outputStride`.
    ///   - imageIndex: index of the first image in the caller's batch (it
    ///     keys the dropout mask).
    ///   - columnExact: every GEMM on `Gemm.multiplyColumnExact` (required
    ///     for `images` > 1; see the type's documentation).
    ///   - packedWeights: `weights` are the O×(C·k·k) matrix packed so
    ///     (`Gemm.Packing.pack`), and the GEMM is that packing's kernel,
    ///     whose bits are `multiplyColumnExact`'s; needs `columnExact`.
    ///   - scratch: at least `scratchCount(...)` floats.
    public static func forward(
        input: UnsafePointer<Float>, inputStride: Int, inChannels: Int, height: Int, width: Int,
        weights: UnsafePointer<Float>, packedWeights: Gemm.Packing? = nil, outChannels: Int, geometry g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, outputStride: Int, outHeight: Int, outWidth: Int,
        images: Int, imageIndex: Int, epilogue: Epilogue, columnExact: Bool = false,
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        precondition(images == 1 || columnExact, "grouped images need a column-exact GEMM")
        precondition(packedWeights == nil || columnExact, "packed weights run on the column-exact path")
        let spatial = outHeight * outWidth
        let columns = images * spatial
        let depth = inChannels * g.kernel * g.kernel
        let shortcuts = images == 1 && !columnExact
        if shortcuts && usesDirect(geometry: g, inChannels: inChannels, outWidth: outWidth) {
            forwardDirect(input: input, inChannels: inChannels, height: height, width: width, weights: weights,
                          outChannels: outChannels, geometry: g, output: output, outHeight: outHeight,
                          outWidth: outWidth, imageIndex: imageIndex, epilogue: epilogue, threads: threads)
            return
        }
        if shortcuts, let tiling = tiling(inChannels: inChannels, geometry: g, outHeight: outHeight,
                                          outWidth: outWidth, threads: threads) {
            forwardTiled(input: input, inChannels: inChannels, height: height, width: width, weights: weights,
                         outChannels: outChannels, geometry: g, output: output, outHeight: outHeight,
                         outWidth: outWidth, rowsPerTile: tiling.rowsPerTile, tiles: tiling.tiles,
                         imageIndex: imageIndex, epilogue: epilogue, scratch: scratch, threads: threads)
            return
        }
        if !columnExact {
            var b = UnsafePointer(scratch)
            if g.isPointwise {
                b = input
            } else {
                Im2col.unfold(input: input, channels: inChannels, height: height, width: width,
                              geometry: g, outHeight: outHeight, outWidth: outWidth,
                              cols: scratch, ldc: spatial, column: 0, threads: threads)
            }
            Gemm.multiply(m: outChannels, n: spatial, k: depth, a: weights, lda: depth,
                          b: b, ldb: spatial, c: output, ldc: spatial, threads: threads)
            epilogue.apply(toImage: output, channels: outChannels, spatial: spatial,
                           image: imageIndex, threads: threads)
            return
        }
        // Column-exact: the group's columns side by side in packed strips,
        // one image after another (the same layout for a group of 1).
        let packed = scratch
        let staged = images == 1 ? output : scratch + Gemm.packedStripsCount(n: columns, k: depth)
        let ran: Bool
        if let packing = packedWeights {
            // Few columns: plain row-major im2col (a packed strip would pad
            // each row of one pixel to 32 floats).
            for n in 0..<images {
                Im2col.unfold(input: input + n * inputStride, channels: inChannels, height: height, width: width,
                              geometry: g, outHeight: outHeight, outWidth: outWidth, cols: packed, ldc: columns,
                              column: n * spatial, threads: threads)
            }
            ran = packing.multiply(m: outChannels, n: columns, k: depth, a: weights, b: packed,
                                   operand: .rowMajor(ldb: columns), c: staged, ldc: columns, threads: threads)
        } else {
            parallelFor(images, threads: threads) { n in
                Im2col.unfoldPacked(input: input + n * inputStride, channels: inChannels, height: height,
                                    width: width, geometry: g, outWidth: outWidth, rows: 0..<outHeight, cols: packed,
                                    column: n * spatial)
            }
            ran = Gemm.multiplyColumnExact(m: outChannels, n: columns, k: depth, a: weights, lda: depth,
                                           packedB: packed, c: staged, ldc: columns, threads: threads)
        }
        precondition(ran, "columnExact asked for on a CPU tier without a column-exact GEMM")
        if images == 1 {
            epilogue.apply(toImage: output, channels: outChannels, spatial: spatial, image: imageIndex, threads: threads)
            return
        }
        // Scatter the channel-major GEMM result into each image's NCHW slot
        // and run the epilogue while the plane is in cache.
        for n in 0..<images {
            let dst = output + n * outputStride
            parallelFor(outChannels, threads: threads) { c in
                (dst + c * spatial).update(from: staged + c * columns + n * spatial, count: spatial)
                if !epilogue.isIdentity {
                    epilogue.apply(to: dst + c * spatial, channel: c, channels: outChannels,
                                   spatial: spatial, image: imageIndex + n)
                }
            }
            if epilogue.activation == .softmax {
                Pointwise.softmax(dst, channels: outChannels, pixels: spatial, stride: spatial)
            }
        }
    }

    /// One image on the direct stride-1 kernel, output rows split over the
    /// threads; an elementwise epilogue runs on each band as it is finished.
    /// Each output is one multiply-add chain in a fixed order, so its bits
    /// do not depend on `threads`. Only for layers `usesDirect` accepts.
    public static func forwardDirect(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        weights: UnsafePointer<Float>, outChannels: Int, geometry g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int,
        imageIndex: Int, epilogue: Epilogue, threads: Int
    ) {
        let spatial = outHeight * outWidth
        let bandEpilogue = epilogue.isElementwise && !epilogue.isIdentity
        // Bands of a few rows interleave the threads over the image, so both
        // finish together even when the border rows are cheaper.
        let bandRows = max(1, min(8, outHeight / max(1, 4 * threads)))
        let bands = (outHeight + bandRows - 1) / bandRows
        parallelFor(bands, threads: threads) { band in
            let rows = (band * bandRows)..<min(outHeight, (band + 1) * bandRows)
            let ran = md_conv_direct_stride1(
                Int32(inChannels), Int32(height), Int32(width), input, Int32(outChannels), Int32(g.kernel),
                Int32(g.padding), weights, Int32(outHeight), Int32(outWidth),
                Int32(rows.lowerBound), Int32(rows.upperBound), output)
            precondition(ran == 1, "the direct kernel refused a layer usesDirect chose it for")
            if bandEpilogue {
                let first = rows.lowerBound * outWidth, count = rows.count * outWidth
                for c in 0..<outChannels {
                    epilogue.apply(toSlice: output + c * spatial + first, range: first..<(first + count),
                                   channel: c, channels: outChannels, spatial: spatial, image: imageIndex)
                }
            }
        }
        if !epilogue.isElementwise {
            epilogue.apply(toImage: output, channels: outChannels, spatial: spatial, image: imageIndex, threads: threads)
        }
    }

    /// One image, tile by tile: each worker unfolds a band of output rows into
    /// its own scratch slot, multiplies it on one thread straight into the
    /// output (ldc = the plane size), and runs an elementwise epilogue on the
    /// band while it is in cache.
    static func forwardTiled(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        weights: UnsafePointer<Float>, outChannels: Int, geometry g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int,
        rowsPerTile: Int, tiles: Int, imageIndex: Int, epilogue: Epilogue,
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let spatial = outHeight * outWidth
        let depth = inChannels * g.kernel * g.kernel
        let slotFloats = Gemm.packedStripsCount(n: rowsPerTile * outWidth, k: depth)
        let tileEpilogue = epilogue.isElementwise && !epilogue.isIdentity
        // The rule and its measurements: `stripsMaxChannels(for:)`.
        let useStrips = CPUTier.current.runs(.strips) && outChannels <= stripsMaxChannels(for: CPUTier.current)
        parallelFor(threads, threads: threads) { worker in
            let slot = scratch + worker * slotFloats
            for tile in splitRange(tiles, parts: threads, part: worker) {
                let rows = (tile * rowsPerTile)..<min(outHeight, (tile + 1) * rowsPerTile)
                let columns = rows.count * outWidth
                let first = rows.lowerBound * outWidth
                if useStrips {
                    Im2col.unfoldPacked(input: input, channels: inChannels, height: height, width: width,
                                        geometry: g, outWidth: outWidth, rows: rows, cols: slot)
                    let ran = Gemm.multiplyPackedStrips(m: outChannels, n: columns, k: depth, a: weights, lda: depth,
                                                        packedB: slot, c: output + first, ldc: spatial)
                    precondition(ran, "the packed-strips kernel refused a tier that runs it")
                } else {
                    Im2col.unfold(input: input, channels: inChannels, height: height, width: width,
                                  geometry: g, outHeight: outHeight, outWidth: outWidth,
                                  cols: slot, ldc: columns, column: 0, rows: rows, threads: 1)
                    Gemm.multiply(m: outChannels, n: columns, k: depth, a: weights, lda: depth,
                                  b: slot, ldb: columns, c: output + first, ldc: spatial, threads: 1)
                }
                if tileEpilogue {
                    for c in 0..<outChannels {
                        epilogue.apply(toSlice: output + c * spatial + first, range: first..<(first + columns),
                                       channel: c, channels: outChannels, spatial: spatial, image: imageIndex)
                    }
                }
            }
        }
        if !epilogue.isElementwise {
            epilogue.apply(toImage: output, channels: outChannels, spatial: spatial, image: imageIndex, threads: threads)
        }
    }
}
