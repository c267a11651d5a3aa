/// Unfolds one image's input patches into GEMM columns.
public enum Im2col {
    /// Writes `cols[(c·k + ky)·k + kx][column + oy·outW + ox]` = input pixel
    /// under tap (ky, kx) of output (oy, ox), or 0 in the padding.
    ///
    /// - Parameters:
    ///   - input: one image, `channels`×`height`×`width`, contiguous.
    ///   - cols: the column matrix with row stride `ldc`; this image's block
    ///     starts at column `column`.
    /// Complexity: O(channels·k²·outH·outW).
    public static func unfold(
        input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        geometry g: ConvGeometry, outHeight: Int, outWidth: Int,
        cols: UnsafeMutablePointer<Float>, ldc: Int, column: Int, threads: Int
    ) {
        let k = g.kernel, s = g.stride, p = g.padding
        parallelFor(channels, threads: threads) { c in
            let plane = input + c * height * width
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = cols + ((c * k + ky) * k + kx) * ldc + column
                    // Output columns whose tap lands inside the image:
                    // 0 <= ox·s − p + kx < width.
                    let oxStart = max(0, (p - kx + s - 1) / s)
                    let oxEnd = min(outWidth, floorDivide(width - 1 + p - kx, s) + 1)
                    for oy in 0..<outHeight {
                        let dst = row + oy * outWidth
                        let iy = oy * s - p + ky
                        if iy < 0 || iy >= height || oxStart >= oxEnd {
                            dst.update(repeating: 0, count: outWidth)
                            continue
                        }
                        let src = plane + iy * width - p + kx
                        if oxStart > 0 { dst.update(repeating: 0, count: oxStart) }
                        if s == 1 {
                            (dst + oxStart).update(from: src + oxStart, count: oxEnd - oxStart)
                        } else {
                            for ox in oxStart..<oxEnd { dst[ox] = src[ox * s] }
                        }
                        if oxEnd < outWidth { (dst + oxEnd).update(repeating: 0, count: outWidth - oxEnd) }
                    }
                }
            }
        }
    }
}
