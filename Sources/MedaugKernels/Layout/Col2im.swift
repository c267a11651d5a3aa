import MedaugSupport

/// Folds transposed-convolution GEMM columns back into an image.
public enum Col2im {
    /// For one image and one output channel `c`, writes
    /// `out[oy][ox] = Σ cols[(c·k + ky)·k + kx][column + iy·inW + ix]` over the
    /// taps with oy = iy·s − p + ky, ox = ix·s − p + kx (the adjoint of
    /// im2col), then runs the epilogue on that channel while it is in cache.
    ///
    /// Each output row is zeroed and then receives its taps in a fixed order,
    /// so the sum is the same at any thread count.
    /// Complexity: O(channels·k²·inH·inW).
    public static func fold(
        cols: UnsafePointer<Float>, ldc: Int, column: Int,
        channels: Int, inHeight: Int, inWidth: Int,
        geometry g: ConvGeometry, outHeight: Int, outWidth: Int,
        output: UnsafeMutablePointer<Float>, epilogue: Epilogue, image: Int, threads: Int
    ) {
        let k = g.kernel, s = g.stride, p = g.padding
        let spatial = outHeight * outWidth
        if s == 2 {
            foldStride2(cols: cols, ldc: ldc, column: column, channels: channels, inHeight: inHeight,
                        inWidth: inWidth, geometry: g, outHeight: outHeight, outWidth: outWidth, output: output,
                        epilogue: epilogue, image: image, threads: threads)
            return
        }
        if s == 1 {
            foldStride1(cols: cols, ldc: ldc, column: column, channels: channels, inHeight: inHeight,
                        inWidth: inWidth, geometry: g, outHeight: outHeight, outWidth: outWidth, output: output,
                        epilogue: epilogue, image: image, threads: threads)
            return
        }
        parallelFor(channels, threads: threads) { c in
            let plane = output + c * spatial
            for oy in 0..<outHeight {
                let dst = plane + oy * outWidth
                dst.update(repeating: 0, count: outWidth)
                // ky ≡ oy + p (mod s), iy = (oy + p − ky)/s within the input.
                var ky = (oy + p) % s
                while ky < k {
                    let iy = (oy + p - ky) / s
                    if iy >= 0 && iy < inHeight {
                        for kx in 0..<k {
                            let src = cols + ((c * k + ky) * k + kx) * ldc + column + iy * inWidth
                            // ox = ix·s − p + kx must be in [0, outWidth).
                            let ixStart = max(0, (p - kx + s - 1) / s)
                            let ixEnd = min(inWidth, floorDivide(outWidth - 1 + p - kx, s) + 1)
                            if ixStart >= ixEnd { continue }
                            let base = dst - p + kx
                            for ix in ixStart..<ixEnd { base[ix * s] += src[ix] }
                        }
                    }
                    ky += s
                }
            }
            epilogue.apply(to: plane, channel: c, channels: channels, spatial: spatial, image: image)
        }
        if epilogue.activation == .softmax {
            Pointwise.softmax(output, channels: channels, pixels: spatial, stride: spatial)
        }
    }

    /// `fold` for stride 1 (the training's backward pass of 3×3 convolutions):
    /// each output row's taps are summed in registers, in the (ky, kx) order
    /// of the general path, and the row is stored once. The general path adds
    /// one tap row at a time into the output row, which at the segmenter's
    /// widths (16–64) spent its time on per-tap loop overhead and on reading
    /// and writing the row k² times. Same bits: a tap outside the input adds
    /// nothing here and +0 nowhere, and a sum that starts at +0 never becomes
    /// −0, so skipping it and adding +0 agree.
    static func foldStride1(
        cols: UnsafePointer<Float>, ldc: Int, column: Int,
        channels: Int, inHeight: Int, inWidth: Int,
        geometry g: ConvGeometry, outHeight: Int, outWidth: Int,
        output: UnsafeMutablePointer<Float>, epilogue: Epilogue, image: Int, threads: Int
    ) {
        let k = g.kernel, p = g.padding
        let spatial = outHeight * outWidth
        // Output columns where every kx has its input pixel (ix = ox + p − kx),
        // and the edge columns on either side, where some do not.
        let innerStart = min(outWidth, max(0, k - 1 - p))
        let inner = innerStart..<max(innerStart, min(outWidth, inWidth - p))
        let edges = [0..<inner.lowerBound, inner.upperBound..<outWidth]
        parallelFor(channels, threads: threads) { c in
            let plane = output + c * spatial
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: k * k) { taps in
                for oy in 0..<outHeight {
                    let dst = plane + oy * outWidth
                    // Tap (ky, kx) of this row, shifted so that its value for
                    // output column ox is at index ox (valid for ix in range).
                    var rows = 0    // tap rows (ky) inside the input
                    for ky in 0..<k {
                        let iy = oy + p - ky
                        guard iy >= 0 && iy < inHeight else { continue }
                        for kx in 0..<k {
                            taps[rows * k + kx] = cols + ((c * k + ky) * k + kx) * ldc + column + iy * inWidth + p - kx
                        }
                        rows += 1
                    }
                    for ox in edges.joined() {
                        var sum: Float = 0
                        for r in 0..<rows {
                            for kx in 0..<k where ox + p - kx >= 0 && ox + p - kx < inWidth {
                                sum += taps[r * k + kx][ox]
                            }
                        }
                        dst[ox] = sum
                    }
                    sumInner(taps: UnsafeBufferPointer(start: taps.baseAddress!, count: rows * k), range: inner,
                             into: dst)
                }
            }
            epilogue.apply(to: plane, channel: c, channels: channels, spatial: spatial, image: image)
        }
        if epilogue.activation == .softmax {
            Pointwise.softmax(output, channels: channels, pixels: spatial, stride: spatial)
        }
    }

    /// dst[ox] = ((+0 + taps[0][ox]) + taps[1][ox]) + … for ox in `range`:
    /// straight-line code for the common tap counts (3×3 with 3 or 2 rows in
    /// the input), which the compiler vectorises over ox.
    @inline(__always)
    static func sumInner(taps: UnsafeBufferPointer<UnsafePointer<Float>>, range: Range<Int>,
                         into dst: UnsafeMutablePointer<Float>) {
        switch taps.count {
        case 9:
            let (t0, t1, t2, t3, t4, t5, t6, t7, t8) = (taps[0], taps[1], taps[2], taps[3], taps[4], taps[5],
                                                        taps[6], taps[7], taps[8])
            for ox in range {
                var sum: Float = 0
                sum += t0[ox]; sum += t1[ox]; sum += t2[ox]; sum += t3[ox]; sum += t4[ox]
                sum += t5[ox]; sum += t6[ox]; sum += t7[ox]; sum += t8[ox]
                dst[ox] = sum
            }
        case 6:
            let (t0, t1, t2, t3, t4, t5) = (taps[0], taps[1], taps[2], taps[3], taps[4], taps[5])
            for ox in range {
                var sum: Float = 0
                sum += t0[ox]; sum += t1[ox]; sum += t2[ox]; sum += t3[ox]; sum += t4[ox]; sum += t5[ox]
                dst[ox] = sum
            }
        default:
            for ox in range {
                var sum: Float = 0
                for tap in taps { sum += tap[ox] }
                dst[ox] = sum
            }
        }
    }

    /// `target[i] += source[i]` for i in 0..<count: one add per element,
    /// so the bits do not depend on how the loop is vectorised.
    @inline(__always)
    static func addRow(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { target[i] += source[i] }
    }

    /// `fold` for stride 2 (pix2pix's 4×4/2 transposed convolutions): tap kx
    /// lands on output columns of one parity, 2·ix − p + kx, so each output
    /// row is summed as its even and odd halves with contiguous adds
    /// (column ix + ⌊(kx − p)/2⌋ of a half) and then interleaved. Every
    /// output element receives its taps in `fold`'s order, so the bits are
    /// the general loop's. The halves are one output row on the stack, so a
    /// run allocates nothing here.
    static func foldStride2(
        cols: UnsafePointer<Float>, ldc: Int, column: Int, channels: Int, inHeight: Int, inWidth: Int,
        geometry g: ConvGeometry, outHeight: Int, outWidth: Int, output: UnsafeMutablePointer<Float>,
        epilogue: Epilogue, image: Int, threads: Int
    ) {
        let k = g.kernel, p = g.padding, spatial = outHeight * outWidth
        let evenWidth = (outWidth + 1) / 2, oddWidth = outWidth / 2
        let parts = max(1, min(threads, channels))
        parallelFor(parts, threads: parts) { part in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, outWidth)) { buffer in
                let halves = buffer.baseAddress!, even = halves, odd = halves + evenWidth
                for c in splitRange(channels, parts: parts, part: part) {
                    let plane = output + c * spatial
                    for oy in 0..<outHeight {
                        halves.update(repeating: 0, count: evenWidth + oddWidth)
                        var ky = (oy + p) % 2
                        while ky < k {
                            let iy = (oy + p - ky) / 2
                            if iy >= 0 && iy < inHeight {
                                for kx in 0..<k {
                                    let src = cols + ((c * k + ky) * k + kx) * ldc + column + iy * inWidth
                                    let ixStart = max(0, (p - kx + 1) / 2)
                                    let ixEnd = min(inWidth, floorDivide(outWidth - 1 + p - kx, 2) + 1)
                                    if ixStart >= ixEnd { continue }
                                    let shift = floorDivide(kx - p, 2)
                                    let half = kx - p - 2 * shift == 1 ? odd : even
                                    addRow(src + ixStart, into: half + shift + ixStart, count: ixEnd - ixStart)
                                }
                            }
                            ky += 2
                        }
                        let row = plane + oy * outWidth
                        for j in 0..<oddWidth {
                            row[2 * j] = even[j]
                            row[2 * j + 1] = odd[j]
                        }
                        if evenWidth > oddWidth { row[2 * oddWidth] = even[oddWidth] }
                    }
                    epilogue.apply(to: plane, channel: c, channels: channels, spatial: spatial, image: image)
                }
            }
        }
        if epilogue.activation == .softmax {
            Pointwise.softmax(output, channels: channels, pixels: spatial, stride: spatial)
        }
    }
}
