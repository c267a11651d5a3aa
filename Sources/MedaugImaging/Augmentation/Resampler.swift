import MedaugKernels

/// One resampling of image (bilinear) and mask (nearest neighbour) through a
/// geometric mapping, with the pipeline's border handling.
struct Resampler {
    let mapping: GeometricMapping
    let border: BorderHandling
    let threads: Int

    /// Positions within this distance of a whole pixel are snapped to it, so
    /// flips, integer shifts and the identity reproduce pixels exactly
    /// instead of blending in 1e-13 of a neighbour.
    static let snap = 1e-6

    func resample(_ input: ImagePair, into output: inout ImagePair) {
        let (h, w, c) = (input.height, input.width, input.channels)
        let plane = h * w
        // The mask's constant fill: background if the input has it, else
        // the edge (so no label absent from the input can appear).
        let hasBackground = input.mask.contains(0)
        let maskMode: BorderHandling.Mode = border.mode == .constant && !hasBackground ? .edge : border.mode
        var image = [Float](repeating: 0, count: c * plane)
        var mask = [Int32](repeating: 0, count: plane)
        input.image.withUnsafeBufferPointer { source in
            input.mask.withUnsafeBufferPointer { sourceMask in
                image.withUnsafeMutableBufferPointer { target in
                    mask.withUnsafeMutableBufferPointer { targetMask in
                        let src = source.baseAddress!, srcMask = sourceMask.baseAddress!
                        let dst = target.baseAddress!, dstMask = targetMask.baseAddress!
                        parallelFor(h, threads: threads) { y in
                            for x in 0..<w {
                                var (row, column) = mapping.source(y: y, x: x)
                                if abs(row - row.rounded()) < Resampler.snap { row = row.rounded() }
                                if abs(column - column.rounded()) < Resampler.snap { column = column.rounded() }
                                let out = y * w + x
                                // Nearest neighbour for the mask.
                                let my = Int((row + 0.5).rounded(.down)), mx = Int((column + 0.5).rounded(.down))
                                if let i = index(my, h, maskMode), let j = index(mx, w, maskMode) {
                                    dstMask[out] = srcMask[i * w + j]
                                } else {
                                    dstMask[out] = 0
                                }
                                // Bilinear for every image channel.
                                let y0 = Int(row.rounded(.down)), x0 = Int(column.rounded(.down))
                                let fy = Float(row - Double(y0)), fx = Float(column - Double(x0))
                                let i0 = index(y0, h, border.mode), i1 = index(y0 + 1, h, border.mode)
                                let j0 = index(x0, w, border.mode), j1 = index(x0 + 1, w, border.mode)
                                for ch in 0..<c {
                                    let p = src + ch * plane
                                    func at(_ i: Int?, _ j: Int?) -> Float {
                                        guard let i, let j else { return border.value }
                                        return p[i * w + j]
                                    }
                                    let top = fx == 0 ? at(i0, j0) : at(i0, j0) * (1 - fx) + at(i0, j1) * fx
                                    let value: Float
                                    if fy == 0 {
                                        value = top
                                    } else {
                                        let bottom = fx == 0 ? at(i1, j0) : at(i1, j0) * (1 - fx) + at(i1, j1) * fx
                                        value = top * (1 - fy) + bottom * fy
                                    }
                                    dst[ch * plane + out] = value
                                }
                            }
                        }
                    }
                }
            }
        }
        output.image = image
        output.mask = mask
    }

    /// The input index read for coordinate `i` along an axis of `n`
    /// pixels, or nil for the constant border.
    @inline(__always)
    func index(_ i: Int, _ n: Int, _ mode: BorderHandling.Mode) -> Int? {
        if i >= 0 && i < n { return i }
        switch mode {
        case .constant: return nil
        case .edge: return i < 0 ? 0 : n - 1
        case .reflect:
            if n == 1 { return 0 }
            // Period 2n: … c b a | a b c … c b a | a b c …
            var k = i % (2 * n)
            if k < 0 { k += 2 * n }
            return k < n ? k : 2 * n - 1 - k
        }
    }
}
