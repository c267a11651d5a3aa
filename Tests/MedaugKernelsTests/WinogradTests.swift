import XCTest
@testable import MedaugKernels

final class WinogradTests: XCTestCase {
    /// Odd and even sides, channel counts that are not multiples of 8, bands
    /// forced small so several bands and both threads are exercised.
    func testMatchesNaiveConvolution() throws {
        var rng = TestRandom(seed: 5)
        for (c, h, w, o) in [(5, 7, 9, 3), (3, 8, 8, 11), (16, 13, 6, 7), (1, 1, 1, 2), (2, 2, 3, 1)] {
            let x = rng.normals(c * h * w)
            let weights = rng.normals(o * c * 9, scale: 0.3)
            let (expected, oh, ow) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o,
                                                k: 3, s: 1, p: 1, bias: nil)
            XCTAssertEqual(oh, h)
            XCTAssertEqual(ow, w)
            let u = weights.withUnsafeBufferPointer {
                Winograd.transformWeights($0.baseAddress!, outChannels: o, inChannels: c)
            }
            for threads in [1, 2] {
                var out = [Float](repeating: .nan, count: o * h * w)
                var scratch = [Float](repeating: .nan, count: Winograd.scratchCount(
                    inChannels: c, outChannels: o, height: h, width: w, threads: threads))
                Winograd.forward(input: x, inChannels: c, height: h, width: w, transformedWeights: u,
                                 outChannels: o, output: &out, scratch: &scratch, threads: threads)
                let error = relativeError(out, expected)
                XCTAssertLessThan(error, 1e-5, "c \(c) h \(h) w \(w) o \(o) threads \(threads)")
            }
        }
    }

    func testBandsCoverTallImages() throws {
        // Enough tile rows for several bands per thread at these channel counts.
        var rng = TestRandom(seed: 6)
        let (c, h, w, o) = (32, 54, 50, 24)
        XCTAssertLessThan(Winograd.bandTileRows(inChannels: c, outChannels: o, tilesPerRow: (w + 1) / 2), (h + 1) / 2)
        let x = rng.normals(c * h * w)
        let weights = rng.normals(o * c * 9, scale: 0.1)
        let (expected, _, _) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 3, s: 1, p: 1, bias: nil)
        let u = weights.withUnsafeBufferPointer { Winograd.transformWeights($0.baseAddress!, outChannels: o, inChannels: c) }
        var out = [Float](repeating: .nan, count: o * h * w)
        var scratch = [Float](repeating: 0, count: Winograd.scratchCount(inChannels: c, outChannels: o, height: h,
                                                                         width: w, threads: 2))
        Winograd.forward(input: x, inChannels: c, height: h, width: w, transformedWeights: u, outChannels: o,
                         output: &out, scratch: &scratch, threads: 2)
        XCTAssertLessThan(relativeError(out, expected), 1e-5)
    }
}
