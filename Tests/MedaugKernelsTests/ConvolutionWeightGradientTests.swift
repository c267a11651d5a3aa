import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugKernels

final class ConvolutionWeightGradientTests: XCTestCase {
    /// Every kernel side the kernel takes, padding 0 to k − 1, widths that
    /// are not multiples of its 16-pixel strips (and under one strip), a
    /// one-row image, output channel counts around its row blocks (8 for
    /// k ≤ 3, 6, 4, 3).
    let cases: [(c: Int, h: Int, w: Int, o: Int, k: Int, p: Int)] = [
        (3, 5, 17, 9, 1, 0),
        (2, 4, 33, 8, 2, 1),
        (5, 6, 37, 17, 3, 1),
        (1, 1, 40, 7, 3, 1),
        (4, 7, 9, 3, 3, 0),
        (3, 5, 21, 13, 4, 2),
        (2, 8, 19, 5, 5, 2),
        (3, 6, 30, 4, 6, 5),
        (2, 9, 23, 7, 7, 3),
    ]

    /// Against a Double sum of the same products, added to a non-zero
    /// gradient (the kernel accumulates), on every tier the host has: the
    /// avx512 kernel must run there; elsewhere `isAvailable` says no.
    func testMatchesTheScalarSumsOnOddShapes() throws {
        var rng = TestRandom(seed: 31)
        for t in cases {
            let g = ConvGeometry(kernel: t.k, stride: 1, padding: t.p)
            let outH = t.h + 2 * t.p - t.k + 1, outW = t.w + 2 * t.p - t.k + 1
            let x = rng.normals(t.c * t.h * t.w), dy = rng.normals(t.o * outH * outW)
            let start = rng.normals(t.o * t.c * t.k * t.k)
            var expected = start.map(Double.init)
            for o in 0..<t.o { for c in 0..<t.c { for ky in 0..<t.k { for kx in 0..<t.k {
                var sum = 0.0
                for oy in 0..<outH { for ox in 0..<outW {
                    let iy = oy + ky - t.p, ix = ox + kx - t.p
                    guard iy >= 0, iy < t.h, ix >= 0, ix < t.w else { continue }
                    sum += Double(dy[(o * outH + oy) * outW + ox]) * Double(x[(c * t.h + iy) * t.w + ix])
                }}
                expected[((o * t.c + c) * t.k + ky) * t.k + kx] += sum
            }}}}
            try forEachTier(running: .directWeightGradient) { tier in
                XCTAssertEqual(ConvolutionWeightGradient.isAvailable(for: g), tier == .avx512, "\(tier)")
                guard ConvolutionWeightGradient.isAvailable(for: g) else { return }
                var got = start
                got.withUnsafeMutableBufferPointer { out in
                    ConvolutionWeightGradient.accumulate(
                        input: x, inChannels: t.c, height: t.h, width: t.w, gradOutput: dy, outChannels: t.o,
                        geometry: g, outHeight: outH, outWidth: outW, into: out.baseAddress!, threads: 2)
                }
                let error = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? 0
                let scale = expected.map(abs).max() ?? 1
                XCTAssertLessThan(error / scale, 2e-6, "\(t) \(tier)")
            }
        }
    }

    /// The threads split the input channels; each sum's order is the
    /// kernel's, so 1, 2 and 3 threads give the same bits.
    func testThreadCountDoesNotChangeTheBits() throws {
        var rng = TestRandom(seed: 32)
        let (c, h, w, o) = (7, 6, 35, 11), g = ConvGeometry(kernel: 3, stride: 1, padding: 1)
        let x = rng.normals(c * h * w), dy = rng.normals(o * h * w)
        try forEachTier(running: .directWeightGradient) { tier in
            guard ConvolutionWeightGradient.isAvailable(for: g) else { return }
            let results = [1, 2, 3].map { threads in
                var dw = [Float](repeating: 0, count: o * c * 9)
                dw.withUnsafeMutableBufferPointer { out in
                    ConvolutionWeightGradient.accumulate(
                        input: x, inChannels: c, height: h, width: w, gradOutput: dy, outChannels: o, geometry: g,
                        outHeight: h, outWidth: w, into: out.baseAddress!, threads: threads)
                }
                return dw
            }
            XCTAssertTrue(results[0] == results[1] && results[0] == results[2], "thread counts differ on \(tier)")
        }
    }
}
