import MedaugSupport

/// Transposed convolutions that no Winograd kernel takes (pix2pix's deep up
/// layers and output layer, the U-Net's up-convolutions) as a GEMM of the
/// transposed weights and the input, then col2im, with the same grouping of
/// images and column-exact rule as `Convolution.forward`.
extension Convolution {
    /// Scratch floats `transposedForward` needs for a group of `images`.
    public static func transposedScratchCount(
        inChannels: Int, outChannels: Int, geometry: ConvGeometry,
        inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, images: Int, columnExact: Bool = false,
        threads: Int
    ) -> Int {
        if expandsPatches(geometry, inHeight: inHeight, inWidth: inWidth, outHeight: outHeight, outWidth: outWidth,
                          images: images, columnExact: columnExact) {
            return patchScratchCount(outChannels: outChannels, kernel: geometry.kernel, inHeight: inHeight,
                                     inWidth: inWidth, threads: threads)
        }
        let columns = images * inHeight * inWidth
        let packed = columnExact ? Gemm.packedStripsCount(n: columns, k: inChannels) : 0
        return outChannels * geometry.kernel * geometry.kernel * columns + packed
    }

    /// How a transposed convolution's weights are stored.
    public enum TransposedWeightLayout: Sendable, Equatable {
        /// IOHW as in the file: `inChannels`×(`outChannels`·k·k); used
        /// transposed by the GEMM.
        case iohw
        /// Repacked once at load to (`outChannels`·k·k)×`inChannels`, so the
        /// GEMM streams each output row's weights contiguously.
        case outputMajor
        /// The `outputMajor` matrix packed for a column-exact kernel
        /// (`Gemm.Packing`); column-exact only.
        case packed(Gemm.Packing)
    }

    /// Repacks IOHW weights into the `outputMajor` layout: a transpose of an
    /// I×(O·k·k) matrix, done in 64×64 blocks so the strided writes of a
    /// block stay in L1 (a 1024×8192 layer in tens of ms instead of seconds).
    public static func packTransposedWeights(_ weights: UnsafeBufferPointer<Float>, inChannels: Int,
                                             into packed: UnsafeMutableBufferPointer<Float>) {
        precondition(packed.count >= weights.count)
        let rows = weights.count / max(1, inChannels)
        let block = 64
        for i0 in stride(from: 0, to: inChannels, by: block) {
            for r0 in stride(from: 0, to: rows, by: block) {
                for i in i0..<min(inChannels, i0 + block) {
                    for r in r0..<min(rows, r0 + block) { packed[r * inChannels + i] = weights[i * rows + r] }
                }
            }
        }
    }

    /// y = epilogue(Wᵀ ⊛ x): transposed convolution as one GEMM
    /// (cols = Wᵀ·x, Wᵀ of shape (O·k·k)×I) followed by col2im; one image
    /// of a layer whose kernel equals its stride in chunks written straight
    /// to the output instead (`transposedPatchesForward`).
    ///
    /// - Parameters:
    ///   - weights: IOHW, `inChannels`×`outChannels`×k×k, or repacked as
    ///     `layout` says.
    ///   - columnExact: as in `forward`; needs the `outputMajor` layout.
    ///   - Other parameters as in `forward`.
    public static func transposedForward(
        input: UnsafePointer<Float>, inputStride: Int, inChannels: Int, inHeight: Int, inWidth: Int,
        weights: UnsafePointer<Float>, layout: TransposedWeightLayout = .iohw,
        outChannels: Int, geometry g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, outputStride: Int, outHeight: Int, outWidth: Int,
        images: Int, imageIndex: Int, epilogue: Epilogue, columnExact: Bool = false,
        scratch: UnsafeMutablePointer<Float>, threads: Int
    ) {
        precondition(images == 1 || columnExact, "grouped images need a column-exact GEMM")
        precondition(!columnExact || layout != .iohw, "the column-exact GEMM needs output-major weights")
        if case .packed = layout { precondition(columnExact, "packed weights run on the column-exact path") }
        if expandsPatches(g, inHeight: inHeight, inWidth: inWidth, outHeight: outHeight, outWidth: outWidth,
                          images: images, columnExact: columnExact) {
            transposedPatchesForward(input: input, inChannels: inChannels, inHeight: inHeight, inWidth: inWidth,
                                     weights: weights, layout: layout, outChannels: outChannels, kernel: g.kernel,
                                     output: output, imageIndex: imageIndex, epilogue: epilogue, scratch: scratch,
                                     threads: threads)
            return
        }
        let inSpatial = inHeight * inWidth
        let columns = images * inSpatial
        let rows = outChannels * g.kernel * g.kernel
        let cols = scratch
        if columnExact {
            // The group's inputs side by side in packed strips: GEMM row c is
            // input channel c, column n·inSpatial + pixel.
            let packed = scratch + rows * columns
            let ran: Bool
            if case .packed(let packing) = layout {
                // Row-major B: the input itself for one image, else the
                // group's inputs side by side.
                var b = input, ldb = inSpatial
                if images > 1 {
                    for n in 0..<images {
                        for c in 0..<inChannels {
                            (packed + c * columns + n * inSpatial).update(from: input + n * inputStride + c * inSpatial,
                                                                          count: inSpatial)
                        }
                    }
                    (b, ldb) = (UnsafePointer(packed), columns)
                }
                ran = packing.multiply(m: rows, n: columns, k: inChannels, a: weights, b: b,
                                       operand: .rowMajor(ldb: ldb), c: cols, ldc: columns, threads: threads)
            } else {
                parallelFor(inChannels, threads: threads) { c in
                    for n in 0..<images {
                        Im2col.writePacked(packed, depth: inChannels, row: c, column: n * inSpatial, count: inSpatial,
                                           source: input + n * inputStride + c * inSpatial, stride: 1,
                                           valid: 0..<inSpatial)
                    }
                }
                ran = Gemm.multiplyColumnExact(m: rows, n: columns, k: inChannels, a: weights, lda: inChannels,
                                               packedB: packed, c: cols, ldc: columns, threads: threads)
            }
            precondition(ran, "columnExact asked for on a CPU tier without a column-exact GEMM")
        } else {
            let b = input
            Gemm.multiply(m: rows, n: columns, k: inChannels, a: weights,
                          lda: layout == .iohw ? rows : inChannels, transposeA: layout == .iohw,
                          b: b, ldb: columns, c: cols, ldc: columns, threads: threads)
        }
        for n in 0..<images {
            Col2im.fold(cols: cols, ldc: columns, column: n * inSpatial,
                        channels: outChannels, inHeight: inHeight, inWidth: inWidth,
                        geometry: g, outHeight: outHeight, outWidth: outWidth,
                        output: output + n * outputStride, epilogue: epilogue,
                        image: imageIndex + n, threads: threads)
        }
    }
}
