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
}
