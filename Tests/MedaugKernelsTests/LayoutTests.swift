import MedaugTestSupport
import XCTest
@testable import MedaugKernels

/// Im2col and Col2im against their definitions, on odd shapes: every
/// stride path (1, the de-interleaved 2, general 3), paddings beyond the
/// kernel's reach, row subsets and a column offset inside a wider matrix.
final class LayoutTests: XCTestCase {
    struct Shape { let c, h, w, k, s, p: Int }
    let shapes = [
        Shape(c: 3, h: 7, w: 9, k: 4, s: 2, p: 1), Shape(c: 2, h: 8, w: 8, k: 4, s: 2, p: 1),
        Shape(c: 1, h: 5, w: 6, k: 3, s: 2, p: 0), Shape(c: 2, h: 6, w: 5, k: 4, s: 2, p: 2),
        Shape(c: 3, h: 2, w: 2, k: 4, s: 2, p: 1), Shape(c: 2, h: 1, w: 1, k: 4, s: 2, p: 1),
        Shape(c: 2, h: 6, w: 7, k: 3, s: 1, p: 1), Shape(c: 2, h: 7, w: 8, k: 3, s: 3, p: 1),
        Shape(c: 3, h: 5, w: 4, k: 1, s: 2, p: 0),
        // Stride 1 (the fused path): wider than a vector, one pixel, no
        // padding, padding beyond the kernel, 1×1 and 5×5 kernels.
        Shape(c: 2, h: 5, w: 19, k: 3, s: 1, p: 1), Shape(c: 2, h: 1, w: 1, k: 3, s: 1, p: 1),
        Shape(c: 1, h: 4, w: 6, k: 3, s: 1, p: 0), Shape(c: 2, h: 3, w: 5, k: 3, s: 1, p: 3),
        Shape(c: 2, h: 3, w: 4, k: 1, s: 1, p: 0), Shape(c: 1, h: 7, w: 9, k: 5, s: 1, p: 2),
    ]

    func testUnfoldMatchesItsDefinition() throws {
        var rng = TestRandom(seed: 71)
        for t in shapes {
            let g = ConvGeometry(kernel: t.k, stride: t.s, padding: t.p)
            guard let outH = g.convOutput(t.h), let outW = g.convOutput(t.w) else { continue }
            let input = rng.normals(t.c * t.h * t.w)
            let depth = t.c * t.k * t.k
            for rows in [0..<outH, (outH / 2)..<outH] {
                for threads in [1, 2] {
                    let column = 3, ldc = column + rows.count * outW + 5
                    var cols = [Float](repeating: .nan, count: depth * ldc)
                    Im2col.unfold(input: input, channels: t.c, height: t.h, width: t.w, geometry: g,
                                  outHeight: outH, outWidth: outW, cols: &cols, ldc: ldc, column: column,
                                  rows: rows, threads: threads)
                    for c in 0..<t.c {
                        for ky in 0..<t.k {
                            for kx in 0..<t.k {
                                let row = (c * t.k + ky) * t.k + kx
                                for oy in rows {
                                    for ox in 0..<outW {
                                        let iy = oy * t.s - t.p + ky, ix = ox * t.s - t.p + kx
                                        let inside = iy >= 0 && iy < t.h && ix >= 0 && ix < t.w
                                        let expected = inside ? input[(c * t.h + iy) * t.w + ix] : 0
                                        let got = cols[row * ldc + column + (oy - rows.lowerBound) * outW + ox]
                                        XCTAssertEqual(got.bitPattern, expected.bitPattern,
                                                       "\(t) rows \(rows) tap (\(c), \(ky), \(kx)) at (\(oy), \(ox))")
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// fold is im2col's adjoint with taps summed in (ky, kx) order: the
    /// same bits as that sum written out, for every stride path.
    func testFoldMatchesItsDefinition() throws {
        var rng = TestRandom(seed: 72)
        for t in shapes {
            // fold maps the columns of an input (inH × inW) to the output of
            // the transposed convolution; t.h × t.w plays the input here.
            let g = ConvGeometry(kernel: t.k, stride: t.s, padding: t.p)
            guard let outH = g.transposedOutput(t.h), let outW = g.transposedOutput(t.w) else { continue }
            let depth = t.c * t.k * t.k, pixels = t.h * t.w, column = 2, ldc = column + pixels + 3
            let cols = rng.normals(depth * ldc)
            for threads in [1, 2] {
                var output = [Float](repeating: .nan, count: t.c * outH * outW)
                Col2im.fold(cols: cols, ldc: ldc, column: column, channels: t.c, inHeight: t.h, inWidth: t.w,
                            geometry: g, outHeight: outH, outWidth: outW, output: &output, epilogue: Epilogue(),
                            image: 0, threads: threads)
                for c in 0..<t.c {
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            var sum: Float = 0
                            for ky in 0..<t.k {
                                for kx in 0..<t.k {
                                    let ny = oy + t.p - ky, nx = ox + t.p - kx
                                    guard ny % t.s == 0, nx % t.s == 0, ny >= 0, nx >= 0 else { continue }
                                    let iy = ny / t.s, ix = nx / t.s
                                    guard iy < t.h, ix < t.w else { continue }
                                    sum += cols[((c * t.k + ky) * t.k + kx) * ldc + column + iy * t.w + ix]
                                }
                            }
                            XCTAssertEqual(output[(c * outH + oy) * outW + ox].bitPattern, sum.bitPattern,
                                           "\(t) threads \(threads) channel \(c) at (\(oy), \(ox))")
                        }
                    }
                }
            }
        }
    }
}
