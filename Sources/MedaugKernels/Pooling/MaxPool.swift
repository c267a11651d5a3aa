import MedaugSupport

/// Max pooling over square windows.
public enum MaxPool {
    /// One image: `channels`×`height`×`width` in, `channels`×outH×outW out,
    /// window `kernel`, step `stride`, no padding (outH = ⌊(H − k)/s⌋ + 1).
    /// A NaN input propagates (comparisons are written so NaN wins).
    public static func forward(
        input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        kernel: Int, stride: Int,
        output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int, threads: Int
    ) {
        parallelFor(channels, threads: threads) { c in
            let src = input + c * height * width
            let dst = output + c * outHeight * outWidth
            if kernel == 2 && stride == 2 {
                // The U-Net's only pool: straight-line code the compiler
                // vectorises (the general loop below is 5x slower).
                for oy in 0..<outHeight {
                    let top = src + 2 * oy * width, bottom = top + width
                    let row = dst + oy * outWidth
                    for ox in 0..<outWidth {
                        row[ox] = max2(max2(top[2 * ox], top[2 * ox + 1]), max2(bottom[2 * ox], bottom[2 * ox + 1]))
                    }
                }
                return
            }
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    var best = -Float.infinity
                    for ky in 0..<kernel {
                        let row = src + (oy * stride + ky) * width + ox * stride
                        for kx in 0..<kernel {
                            let v = row[kx]
                            if !(v <= best) && !best.isNaN { best = v }
                        }
                    }
                    dst[oy * outWidth + ox] = best
                }
            }
        }
    }

    /// max that returns NaN when either side is NaN (Swift's `max` does not
    /// promise which operand wins), so NaN inputs stay visible.
    @inline(__always)
    static func max2(_ a: Float, _ b: Float) -> Float {
        a > b || a.isNaN ? a : b
    }
}
