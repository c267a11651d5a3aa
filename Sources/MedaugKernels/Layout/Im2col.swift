import MedaugSupport

/// Unfolds one image's input patches into GEMM columns.
public enum Im2col {
    /// Writes `cols[(c·k + ky)·k + kx][column + oy·outW + ox]` = input pixel
    /// under tap (ky, kx) of output (oy, ox), or 0 in the padding.
    ///
    /// - Parameters:
    ///   - input: one image, `channels`×`height`×`width`, contiguous.
    ///   - cols: the column matrix with row stride `ldc`; this image's block
    ///     starts at column `column`.
    ///   - rows: the output rows to unfold (default all); output row `oy`
    ///     goes to columns from `column + (oy − rows.lowerBound)·outW`.
    /// Complexity: O(channels·k²·rows·outW).
    public static func unfold(
        input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        geometry g: ConvGeometry, outHeight: Int, outWidth: Int,
        cols: UnsafeMutablePointer<Float>, ldc: Int, column: Int, rows: Range<Int>? = nil, threads: Int
    ) {
        let rows = rows ?? 0..<outHeight
        let k = g.kernel, s = g.stride, p = g.padding
        if s == 2 {
            unfoldStride2(input: input, channels: channels, height: height, width: width, geometry: g,
                          outWidth: outWidth, cols: cols, ldc: ldc, column: column, rows: rows, threads: threads)
            return
        }
        parallelFor(channels, threads: threads) { c in
            let plane = input + c * height * width
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = cols + ((c * k + ky) * k + kx) * ldc + column
                    // Output columns whose tap lands inside the image:
                    // 0 <= ox·s − p + kx < width.
                    let oxStart = max(0, (p - kx + s - 1) / s)
                    let oxEnd = min(outWidth, floorDivide(width - 1 + p - kx, s) + 1)
                    for oy in rows {
                        let dst = row + (oy - rows.lowerBound) * outWidth
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

    /// `unfold` for stride 2 (pix2pix's 4×4/2 convolutions): each input row
    /// is first split into its even and odd columns, after which every tap's
    /// row is a contiguous copy (tap kx reads column 2·ox − p + kx, i.e.
    /// column ox + ⌊(kx − p)/2⌋ of the even or odd half) instead of a
    /// stride-2 gather. The same values as the general loop. The split row
    /// lives on the stack (one row, `width` floats), so a run allocates
    /// nothing here.
    static func unfoldStride2(
        input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, geometry g: ConvGeometry,
        outWidth: Int, cols: UnsafeMutablePointer<Float>, ldc: Int, column: Int, rows: Range<Int>, threads: Int
    ) {
        let k = g.kernel, p = g.padding
        let evenWidth = (width + 1) / 2, oddWidth = width / 2
        let parts = max(1, min(threads, channels))
        // Where tap (c, ky, kx)'s columns for output row oy start.
        func tapRow(_ c: Int, _ ky: Int, _ kx: Int, _ oy: Int) -> UnsafeMutablePointer<Float> {
            cols + ((c * k + ky) * k + kx) * ldc + column + (oy - rows.lowerBound) * outWidth
        }
        parallelFor(parts, threads: parts) { part in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, width)) { split in
                let even = split.baseAddress!, odd = even + evenWidth
                for c in splitRange(channels, parts: parts, part: part) {
                    // Taps whose input row is padding: zero rows.
                    for oy in rows {
                        for ky in 0..<k where !(0..<height).contains(oy * 2 - p + ky) {
                            for kx in 0..<k { tapRow(c, ky, kx, oy).update(repeating: 0, count: outWidth) }
                        }
                    }
                    // Every input row some tap of `rows` reads, split once.
                    let first = max(0, rows.lowerBound * 2 - p), last = min(height, (rows.upperBound - 1) * 2 - p + k)
                    guard first < last else { continue }
                    for iy in first..<last {
                        let src = input + (c * height + iy) * width
                        for j in 0..<oddWidth {
                            even[j] = src[2 * j]
                            odd[j] = src[2 * j + 1]
                        }
                        if evenWidth > oddWidth { even[oddWidth] = src[2 * oddWidth] }
                        // Output rows oy = (iy + p − ky)/2 of `rows` that read it.
                        for ky in 0..<k where (iy + p - ky) & 1 == 0 {
                            let oy = (iy + p - ky) >> 1
                            guard rows.contains(oy) else { continue }
                            for kx in 0..<k {
                                let dst = tapRow(c, ky, kx, oy)
                                let oxStart = max(0, (p - kx + 1) / 2)
                                let oxEnd = min(outWidth, floorDivide(width - 1 + p - kx, 2) + 1)
                                guard oxStart < oxEnd else {
                                    dst.update(repeating: 0, count: outWidth)
                                    continue
                                }
                                let shift = floorDivide(kx - p, 2), isOdd = kx - p - 2 * shift == 1
                                let half = isOdd ? odd : even
                                if oxStart > 0 { dst.update(repeating: 0, count: oxStart) }
                                (dst + oxStart).update(from: half + oxStart + shift, count: oxEnd - oxStart)
                                if oxEnd < outWidth { (dst + oxEnd).update(repeating: 0, count: outWidth - oxEnd) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Like `unfold` for output rows `rows`, but writes the columns packed in
    /// strips of 32 for `md_sgemm_packed_strips`: column j of GEMM row
    /// p goes to `cols[((j / 32)·depth + p)·32 + j % 32]`, where depth =
    /// channels·k² and j = `column` + the output pixel's index counted from
    /// the first pixel of `rows` (several images share one packed matrix
    /// side by side through `column`).
    public static func unfoldPacked(
        input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        geometry g: ConvGeometry, outWidth: Int, rows: Range<Int>, cols: UnsafeMutablePointer<Float>,
        column: Int = 0
    ) {
        let k = g.kernel, s = g.stride, p = g.padding
        let depth = channels * k * k
        for c in 0..<channels {
            let plane = input + c * height * width
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = (c * k + ky) * k + kx
                    let oxStart = max(0, (p - kx + s - 1) / s)
                    let oxEnd = min(outWidth, floorDivide(width - 1 + p - kx, s) + 1)
                    for oy in rows {
                        let iy = oy * s - p + ky
                        let inside = iy >= 0 && iy < height
                        let src = plane + iy * width - p + kx
                        let valid = inside ? oxStart..<max(oxStart, oxEnd) : 0..<0
                        writePacked(cols, depth: depth, row: row, column: column + (oy - rows.lowerBound) * outWidth,
                                    count: outWidth, source: src, stride: s, valid: valid)
                    }
                }
            }
        }
    }

    /// Writes GEMM row `row`, columns `column ..< column + count`, of a
    /// packed-strips matrix of depth `depth`: element x comes from
    /// `source[x·stride]` for x in `valid`, else 0. Copies in runs that stay
    /// inside one 32-column strip, so the inner loops are plain copies.
    @inlinable
    public static func writePacked(_ cols: UnsafeMutablePointer<Float>, depth: Int, row: Int, column: Int,
                                   count: Int, source: UnsafePointer<Float>, stride: Int, valid: Range<Int>) {
        var x = 0
        while x < count {
            let j = column + x
            let runEnd = min(count, x + 32 - (j & 31))
            // dst[x] is column j's slot for this row.
            let dst = cols + (((j >> 5) * depth + row) << 5) + (j & 31) - x
            let lo = min(max(x, valid.lowerBound), runEnd)
            let hi = max(lo, min(runEnd, valid.upperBound))
            for t in x..<lo { dst[t] = 0 }
            if stride == 1 {
                for t in lo..<hi { dst[t] = source[t] }
            } else {
                for t in lo..<hi { dst[t] = source[t * stride] }
            }
            for t in hi..<runEnd { dst[t] = 0 }
            x = runEnd
        }
    }
}
