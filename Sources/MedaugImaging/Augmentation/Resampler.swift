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
        // The mask's constant fill: background if the input has it, else
        // the edge (so no label absent from the input can appear).
        let hasBackground = input.mask.contains(0)
        let maskMode: BorderHandling.Mode = border.mode == .constant && !hasBackground ? .edge : border.mode
        // Written straight into the output's arrays (a copy would cost a
        // second round of page faults per pair).
        output.image = [Float](repeating: 0, count: c * h * w)
        output.mask = [Int32](repeating: 0, count: h * w)
        output.image.withUnsafeMutableBufferPointer { image in
            output.mask.withUnsafeMutableBufferPointer { mask in
                input.image.withUnsafeBufferPointer { source in
                    input.mask.withUnsafeBufferPointer { sourceMask in
                        let rows = RowWarp(source: source.baseAddress!, sourceMask: sourceMask.baseAddress!,
                                           image: image.baseAddress!, mask: mask.baseAddress!, height: h, width: w,
                                           channels: c, border: border, maskMode: maskMode, resampler: self)
                        parallelFor(h, threads: threads) { y in rows.warp(row: y) }
                    }
                }
            }
        }
    }

    /// One output row at a time: source positions, the SIMD kernel for the
    /// pixels it can do, the scalar path for the rest. Both read the same
    /// Float positions and interpolate with `lerp`, so every CPU tier gives
    /// the same bits (README, "Determinism").
    struct RowWarp: @unchecked Sendable {
        let source: UnsafePointer<Float>, sourceMask: UnsafePointer<Int32>
        let image: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Int32>
        let height: Int, width: Int, channels: Int
        let border: BorderHandling, maskMode: BorderHandling.Mode
        let resampler: Resampler

        func warp(row y: Int) {
            let w = width
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * w) { coordinates in
                withUnsafeTemporaryAllocation(of: UInt16.self, capacity: (w + 15) / 16) { flags in
                    let rows = coordinates.baseAddress!, cols = rows + w
                    sourcePositions(row: y, rows: rows, cols: cols)
                    flags.initialize(repeating: 0xFFFF)
                    let simd = warpSIMD(row: y, rows: rows, cols: cols, outside: flags.baseAddress!)
                    for x in 0..<w where !simd || flags[x >> 4] & (1 << (x & 15)) != 0 {
                        warpScalar(at: y * w + x, row: rows[x], column: cols[x])
                    }
                }
            }
        }

        /// Source (row, column) of every pixel of output row `y`, as Float.
        func sourcePositions(row y: Int, rows: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>) {
            let mapping = resampler.mapping
            if mapping.elastic != nil {
                for x in 0..<width {
                    let p = Resampler.snapped(mapping.source(y: y, x: x))
                    rows[x] = Resampler.position(p.row)
                    cols[x] = Resampler.position(p.column)
                }
                return
            }
            // Without an elastic field the mapping is affine: source(y, x) =
            // source(y, 0) + x·step. Snapping the row's start and step once
            // keeps every position of a flip or whole-pixel shift exact.
            let origin = Resampler.snapped(mapping.source(y: y, x: 0))
            let next = Resampler.snapped(width > 1 ? mapping.source(y: y, x: 1) : origin)
            for x in 0..<width {
                rows[x] = Resampler.position(origin.row + Double(x) * (next.row - origin.row))
                cols[x] = Resampler.position(origin.column + Double(x) * (next.column - origin.column))
            }
        }

        /// The tier's SIMD kernel: writes every pixel whose taps are inside
        /// (all of them with both borders constant) and flags the rest.
        /// False when the tier has no kernel.
        func warpSIMD(row y: Int, rows: UnsafePointer<Float>, cols: UnsafePointer<Float>,
                      outside: UnsafeMutablePointer<UInt16>) -> Bool {
            let constant = border.mode == .constant && maskMode == .constant
            return md_warp_bilinear(source, Int32(channels), Int32(height), Int32(width),
                                    UnsafeRawPointer(sourceMask).assumingMemoryBound(to: CInt.self), rows, cols,
                                    Int32(width), image + y * width,
                                    UnsafeMutableRawPointer(mask + y * width).assumingMemoryBound(to: CInt.self),
                                    height * width, outside, constant ? 1 : 0, border.value, 0) == 1
        }

        /// One output pixel from source position (row, column).
        func warpScalar(at out: Int, row: Float, column: Float) {
            let (h, w) = (height, width)
            let y0 = Resampler.floor(Double(row)), x0 = Resampler.floor(Double(column))
            // Exact: a Float minus its floor.
            let fy = row - Float(y0), fx = column - Float(x0)
            // Nearest neighbour for the mask, halves rounded up.
            let my = fy < 0.5 ? y0 : y0 + 1, mx = fx < 0.5 ? x0 : x0 + 1
            if my >= 0 && my < h && mx >= 0 && mx < w {
                mask[out] = sourceMask[my * w + mx]
            } else if let i = resampler.index(my, h, maskMode), let j = resampler.index(mx, w, maskMode) {
                mask[out] = sourceMask[i * w + j]
            } else {
                mask[out] = 0
            }
            let plane = h * w
            if y0 >= 0 && y0 < h - 1 && x0 >= 0 && x0 < w - 1 {
                // Inside: no border logic.
                for ch in 0..<channels {
                    let p = source + ch * plane + y0 * w + x0
                    let top = Resampler.lerp(p[0], p[1], fx), bottom = Resampler.lerp(p[w], p[w + 1], fx)
                    image[ch * plane + out] = Resampler.lerp(top, bottom, fy)
                }
                return
            }
            let mode = border.mode
            let i0 = resampler.index(y0, h, mode), i1 = resampler.index(y0 + 1, h, mode)
            let j0 = resampler.index(x0, w, mode), j1 = resampler.index(x0 + 1, w, mode)
            for ch in 0..<channels {
                let p = source + ch * plane
                func at(_ i: Int?, _ j: Int?) -> Float {
                    guard let i, let j else { return border.value }
                    return p[i * w + j]
                }
                let top = Resampler.lerp(at(i0, j0), at(i0, j1), fx)
                let bottom = Resampler.lerp(at(i1, j0), at(i1, j1), fx)
                image[ch * plane + out] = Resampler.lerp(top, bottom, fy)
            }
        }
    }

    /// a + (b − a)·t, t = 0 giving a exactly; a separate multiply and add
    /// (never fused), as every tier's SIMD kernel computes it.
    @inline(__always)
    static func lerp(_ a: Float, _ b: Float, _ t: Float) -> Float {
        t == 0 ? a : a + (b - a) * t
    }

    /// A position with coordinates within `snap` of a whole pixel moved onto it.
    @inline(__always)
    static func snapped(_ p: (row: Double, column: Double)) -> (row: Double, column: Double) {
        let r = p.row.rounded(), c = p.column.rounded()
        return (abs(p.row - r) < snap ? r : p.row, abs(p.column - c) < snap ? c : p.column)
    }

    /// A source coordinate as the kernels take it: within ±`farOff` pixels
    /// (NaN to the far side), so that its floor is exact and the fraction
    /// left in [0, 1). Farther positions only ever hit the border; an elastic
    /// field of 100 mm at a spacing of 1e-6 mm reached 10⁸ pixels, whose
    /// fraction after `floor`'s clamp weighted the taps by 10⁸ (and became
    /// infinite past Float's range at 1e-300 mm).
    @inline(__always)
    static func position(_ v: Double) -> Float {
        v.isNaN ? Float(farOff) : Float(min(max(v, -farOff), farOff))
    }

    /// Where `position` clamps (and `floor` stays exact): ±1 048 000 pixels.
    static let farOff: Double = 1_048_000

    /// ⌊v⌋ without a libm call (baseline x86-64 has no SSE4.1 round):
    /// truncation of a shifted positive value. Positions beyond ±2²⁰ pixels
    /// only ever hit the border, where any far-out index gives the same result.
    @inline(__always)
    static func floor(_ v: Double) -> Int {
        let shifted = min(max(v, -farOff), farOff) + 1_048_576
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
