/// Convolution forward passes built from im2col/col2im, OpenBLAS GEMM and a
/// fused epilogue. They work on a group of `images` images at once: the
/// columns of the whole group go into one GEMM, so deep layers with few
/// pixels read their weights once per group instead of once per image.
public enum Convolution {
    /// Scratch floats `forward` needs for a group of `images` images.
    public static func scratchCount(
        inChannels: Int, outChannels: Int, geometry: ConvGeometry,
        outHeight: Int, outWidth: Int, images: Int
    ) -> Int {
        let columns = images * outHeight * outWidth
        let unfolded = geometry.isPointwise && images == 1 ? 0 : inChannels * geometry.kernel * geometry.kernel * columns
        let staged = images == 1 ? 0 : outChannels * columns
        return unfolded + staged
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
    ///   - scratch: at least `scratchCount(...)` floats.
    public static func forward(
        input: UnsafePointer<Float>, inputStride: Int, inChannels: Int, height: Int, width: Int,
        weights: UnsafePointer<Float>, outChannels: Int, geometry g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, outputStride: Int, outHeight: Int, outWidth: Int,
        images: Int, imageIndex: Int, epilogue: Epilogue,
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let spatial = outHeight * outWidth
        let columns = images * spatial
        let depth = inChannels * g.kernel * g.kernel
        if images == 1 {
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
        let cols = scratch
        let staged = scratch + depth * columns
        for n in 0..<images {
            Im2col.unfold(input: input + n * inputStride, channels: inChannels, height: height, width: width,
                          geometry: g, outHeight: outHeight, outWidth: outWidth,
                          cols: cols, ldc: columns, column: n * spatial, threads: threads)
        }
        Gemm.multiply(m: outChannels, n: columns, k: depth, a: weights, lda: depth,
                      b: cols, ldb: columns, c: staged, ldc: columns, threads: threads)
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

    /// Scratch floats `transposedForward` needs for a group of `images`.
    public static func transposedScratchCount(
        inChannels: Int, outChannels: Int, geometry: ConvGeometry,
        inHeight: Int, inWidth: Int, images: Int
    ) -> Int {
        let columns = images * inHeight * inWidth
        let packed = images == 1 ? 0 : inChannels * columns
        return outChannels * geometry.kernel * geometry.kernel * columns + packed
    }

    /// How a transposed convolution's weights are stored.
    public enum TransposedWeightLayout: Sendable {
        /// IOHW as in the file: `inChannels`×(`outChannels`·k·k); used
        /// transposed by the GEMM.
        case iohw
        /// Repacked once at load to (`outChannels`·k·k)×`inChannels`, so the
        /// GEMM streams each output row's weights contiguously.
        case outputMajor
    }

    /// Repacks IOHW weights into the `outputMajor` layout.
    public static func packTransposedWeights(_ weights: UnsafeBufferPointer<Float>, inChannels: Int) -> [Float] {
        let rows = weights.count / max(1, inChannels)
        var packed = [Float](repeating: 0, count: weights.count)
        for i in 0..<inChannels {
            for r in 0..<rows { packed[r * inChannels + i] = weights[i * rows + r] }
        }
        return packed
    }

    /// y = epilogue(Wᵀ ⊛ x): transposed convolution as one GEMM
    /// (cols = Wᵀ·x, Wᵀ of shape (O·k·k)×I) followed by col2im.
    ///
    /// - Parameters:
    ///   - weights: IOHW, `inChannels`×`outChannels`×k×k, or repacked as
    ///     `layout` says.
    ///   - Other parameters as in `forward`.
    public static func transposedForward(
        input: UnsafePointer<Float>, inputStride: Int, inChannels: Int, inHeight: Int, inWidth: Int,
        weights: UnsafePointer<Float>, layout: TransposedWeightLayout = .iohw,
        outChannels: Int, geometry g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, outputStride: Int, outHeight: Int, outWidth: Int,
        images: Int, imageIndex: Int, epilogue: Epilogue,
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let inSpatial = inHeight * inWidth
        let columns = images * inSpatial
        let rows = outChannels * g.kernel * g.kernel
        let cols = scratch
        var b = input
        if images > 1 {
            // Pack the group's inputs side by side: [inChannels][images·inSpatial].
            let packed = scratch + rows * columns
            for n in 0..<images {
                let src = input + n * inputStride
                parallelFor(inChannels, threads: threads) { c in
                    (packed + c * columns + n * inSpatial).update(from: src + c * inSpatial, count: inSpatial)
                }
            }
            b = UnsafePointer(packed)
        }
        Gemm.multiply(m: rows, n: columns, k: inChannels, a: weights,
                      lda: layout == .iohw ? rows : inChannels, transposeA: layout == .iohw,
                      b: b, ldb: columns, c: cols, ldc: columns, threads: threads)
        for n in 0..<images {
            Col2im.fold(cols: cols, ldc: columns, column: n * inSpatial,
                        channels: outChannels, inHeight: inHeight, inWidth: inWidth,
                        geometry: g, outHeight: outHeight, outWidth: outWidth,
                        output: output + n * outputStride, epilogue: epilogue,
                        image: imageIndex + n, threads: threads)
        }
    }
}
