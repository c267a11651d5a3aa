import MedaugSupport
import MedaugMicroKernels

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
        // Both constant: the SIMD kernel handles the border too.
        let constantBorder = border.mode == .constant && maskMode == .constant
        var image = [Float](repeating: 0, count: c * plane)
        var mask = [Int32](repeating: 0, count: plane)
        input.image.withUnsafeBufferPointer { source in
            input.mask.withUnsafeBufferPointer { sourceMask in
                image.withUnsafeMutableBufferPointer { target in
                    mask.withUnsafeMutableBufferPointer { targetMask in
                        let src = source.baseAddress!, srcMask = sourceMask.baseAddress!
                        let dst = target.baseAddress!, dstMask = targetMask.baseAddress!
                        parallelFor(h, threads: threads) { y in
                            // Without an elastic field the mapping is affine:
                            // source(y, x) = source(y, 0) + x·step.
                            // Snapping the row's start and step once keeps every
                            // position of a flip or whole-pixel shift exact.
                            let origin = Resampler.snapped(mapping.source(y: y, x: 0))
                            let next = Resampler.snapped(w > 1 ? mapping.source(y: y, x: 1) : origin)
                            let step = (row: next.row - origin.row, column: next.column - origin.column)
                            let elastic = mapping.elastic != nil
                            // SIMD kernel first (AVX-512): it writes every pixel whose
                            // taps are inside and flags the rest for the scalar path.
                            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: (w + 15) / 16) { flags in
                            flags.initialize(repeating: 0xFFFF)
                            var done = false
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * w) { coordinates in
                                let rows = coordinates.baseAddress!, cols = rows + w
                                for x in 0..<w {
                                    let (row, column) = elastic
                                        ? Resampler.snapped(mapping.source(y: y, x: x))
                                        : (origin.row + Double(x) * step.row, origin.column + Double(x) * step.column)
                                    rows[x] = Float(row)
                                    cols[x] = Float(column)
                                }
                                done = md_warp_bilinear(src, Int32(c), Int32(h), Int32(w),
                                                            UnsafeRawPointer(srcMask).assumingMemoryBound(to: CInt.self),
                                                            rows, cols, Int32(w), dst + y * w,
                                                            UnsafeMutableRawPointer(dstMask + y * w).assumingMemoryBound(to: CInt.self),
                                                            plane, flags.baseAddress!, constantBorder ? 1 : 0,
                                                            border.value, 0) == 1
                            }
                            for x in 0..<w {
                                if done && flags[x >> 4] & (1 << (x & 15)) == 0 { continue }
                                let (row, column) = elastic
                                    ? Resampler.snapped(mapping.source(y: y, x: x))
                                    : (origin.row + Double(x) * step.row, origin.column + Double(x) * step.column)
                                let out = y * w + x
                                let y0 = Resampler.floor(row), x0 = Resampler.floor(column)
                                let fy = Float(row - Double(y0)), fx = Float(column - Double(x0))
                                // Nearest neighbour for the mask.
                                let my = fy < 0.5 ? y0 : y0 + 1, mx = fx < 0.5 ? x0 : x0 + 1
                                if my >= 0 && my < h && mx >= 0 && mx < w {
                                    dstMask[out] = srcMask[my * w + mx]
                                } else if let i = index(my, h, maskMode), let j = index(mx, w, maskMode) {
                                    dstMask[out] = srcMask[i * w + j]
                                } else {
                                    dstMask[out] = 0
                                }
                                if y0 >= 0 && y0 < h - 1 && x0 >= 0 && x0 < w - 1 {
                                    // Inside: no border logic.
                                    let a = y0 * w + x0
                                    for ch in 0..<c {
                                        let p = src + ch * plane + a
                                        let top = p[0] + (p[1] - p[0]) * fx
                                        let bottom = p[w] + (p[w + 1] - p[w]) * fx
                                        dst[ch * plane + out] = fy == 0 ? top : top + (bottom - top) * fy
                                    }
                                    continue
                                }
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
        }
        output.image = image
        output.mask = mask
    }

    /// A position with coordinates within `snap` of a whole pixel moved onto it.
    @inline(__always)
    static func snapped(_ p: (row: Double, column: Double)) -> (row: Double, column: Double) {
        let r = p.row.rounded(), c = p.column.rounded()
        return (abs(p.row - r) < snap ? r : p.row, abs(p.column - c) < snap ? c : p.column)
    }

    /// ⌊v⌋ without a libm call (baseline x86-64 has no SSE4.1 round):
    /// truncation of a shifted positive value. Positions beyond ±2²⁰ pixels
    /// only ever hit the border, where any far-out index gives the same result.
    @inline(__always)
    static func floor(_ v: Double) -> Int {
        let shifted = min(max(v, -1_048_000), 1_048_000) + 1_048_576
        return Int(shifted) - 1_048_576
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
