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
}
