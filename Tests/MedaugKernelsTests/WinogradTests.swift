import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugKernels

final class WinogradTests: XCTestCase {
    /// The 3×3 kernels and the family whose code each runs.
    private static let kernels: [(WinogradKernel, MicroKernelFamily)] = [(.f23, .winograd), (.f43, .winogradF43)]

    /// Runs `kernel` (F(2×2, 3×3) or F(4×4, 3×3)) on one image and returns
    /// the output.
    private func winograd(_ kernel: WinogradKernel, _ x: [Float], c: Int, h: Int, w: Int, weights: [Float], o: Int,
                          epilogue: Epilogue = Epilogue(), imageIndex: Int = 0, threads: Int) -> [Float] {
        var u = [Float](repeating: .nan, count: kernel.transformedWeightCount(outChannels: o, inChannels: c))
        weights.withUnsafeBufferPointer { g in
            u.withUnsafeMutableBufferPointer {
                kernel.transformWeights(g.baseAddress!, outChannels: o, inChannels: c, into: $0)
            }
        }
        var out = [Float](repeating: .nan, count: o * h * w)
        // NaN scratch: any read of a float the kernel did not write shows.
        var scratch = [Float](repeating: .nan, count: kernel.scratchCount(
            inChannels: c, outChannels: o, height: h, width: w, threads: threads))
        kernel.forward(input: x, inChannels: c, height: h, width: w, transformedWeights: u, outChannels: o,
                       output: &out, imageIndex: imageIndex, epilogue: epilogue, scratch: &scratch, threads: threads)
        return out
    }

    /// Runs `body` for each 3×3 kernel on each tier that has its code,
    /// asserting that the code ran.
    private func forEachKernel(_ body: (WinogradKernel) throws -> Void) throws {
        for (kernel, family) in Self.kernels {
            try forEachTier(running: family) { tier in
                guard tier.runs(family) else { return }
                try body(kernel)
            }
        }
    }

    /// Odd and even sides (1, odd widths, widths around 32 and 16-tile
    /// vectors, rows of ≤ 8 tiles stacked two to a vector over several
    /// bands), channel counts that are not multiples of 8.
    func testMatchesNaiveConvolution() throws {
        try forEachKernel(matchesNaiveConvolution)
    }

    func matchesNaiveConvolution(_ kernel: WinogradKernel) throws {
        var rng = TestRandom(seed: 5)
        for (c, h, w, o) in [(5, 7, 9, 3), (3, 8, 8, 11), (16, 13, 6, 7), (1, 1, 1, 2), (2, 2, 3, 1),
                             (3, 5, 33, 9), (2, 4, 65, 17), (7, 3, 31, 5), (4, 37, 16, 6), (3, 9, 15, 5),
                             (5, 20, 64, 7), (9, 14, 47, 16)] {
            let x = rng.normals(c * h * w)
            let weights = rng.normals(o * c * 9, scale: 0.3)
            let (expected, oh, ow) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o,
                                                k: 3, s: 1, p: 1, bias: nil)
            XCTAssertEqual([oh, ow], [h, w])
            for threads in [1, 2] {
                let out = winograd(kernel, x, c: c, h: h, w: w, weights: weights, o: o, threads: threads)
                let error = relativeError(out, expected)
                XCTAssertLessThan(error, kernel.testErrorBound, "\(kernel) c \(c) h \(h) w \(w) o \(o) threads \(threads)")
            }
        }
    }

    /// Tall enough for several bands per thread.
    func testBandsCoverTallImages() throws {
        try forEachKernel(bandsCoverTallImages)
    }

    func bandsCoverTallImages(_ kernel: WinogradKernel) throws {
        var rng = TestRandom(seed: 6)
        // F(4×4, 3×3) bands hold 8 tile rows of 4 output rows at this width.
        let (c, h, w, o) = (12, kernel == .f23 ? 54 : 138, 50, 10)
        if kernel == .f23 {
            XCTAssertLessThan(Winograd.band(inChannels: c, outChannels: o, height: h, width: w).rows * 4, (h + 1) / 2)
        } else {
            XCTAssertLessThan(WinogradF43.band(inChannels: c, outChannels: o, height: h, width: w).rows * 4, (h + 3) / 4)
        }
        let x = rng.normals(c * h * w)
        let weights = rng.normals(o * c * 9, scale: 0.1)
        let (expected, _, _) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 3, s: 1, p: 1, bias: nil)
        let out = winograd(kernel, x, c: c, h: h, w: w, weights: weights, o: o, threads: 2)
        XCTAssertLessThan(relativeError(out, expected), kernel.testErrorBound, "\(kernel)")
    }

    /// A narrow layer's F(4×4, 3×3) bands hold fewer tiles (`bandTiles`:
    /// V and M within 256 KiB): here 45 tiles, two tile rows of 20, so
    /// five bands (the last of one row), shared by two threads and run by one.
    func testNarrowLayerBandsMatchNaiveConvolution() throws {
        let (c, h, w, o) = (16, 36, 70, 24)
        XCTAssertEqual(WinogradF43.bandTiles(inChannels: c, outChannels: o), 45)
        XCTAssertEqual(WinogradF43.band(inChannels: c, outChannels: o, height: h, width: w).rows, 2)
        XCTAssertEqual(WinogradF43.bandTiles(inChannels: 40, outChannels: 60), 32)
        XCTAssertEqual(WinogradF43.bandTiles(inChannels: 128, outChannels: 128), 128)
        var rng = TestRandom(seed: 8)
        let x = rng.normals(c * h * w)
        let weights = rng.normals(o * c * 9, scale: 0.1)
        let (expected, _, _) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 3, s: 1, p: 1, bias: nil)
        try forEachTier(running: .winogradF43) { tier in
            guard tier.runs(.winogradF43) else { return }
            for threads in [1, 2] {
                let out = winograd(.f43, x, c: c, h: h, w: w, weights: weights, o: o, threads: threads)
                XCTAssertLessThan(relativeError(out, expected), WinogradKernel.f43.testErrorBound, "threads \(threads)")
            }
        }
    }

    /// Bias and ReLU / LeakyReLU applied at the kernel's store, and the
    /// general epilogue paths (dropout per band, instance norm per image),
    /// against the naive convolution followed by the same epilogue.
    func testEpilogues() throws {
        try forEachKernel(epilogues)
    }

    func epilogues(_ kernel: WinogradKernel) throws {
        var rng = TestRandom(seed: 7)
        let (c, h, w, o) = (6, 11, 37, 9)
        let x = rng.normals(c * h * w)
        let weights = rng.normals(o * c * 9, scale: 0.3)
        let bias = rng.normals(o)
        let scale = rng.normals(o), shift = rng.normals(o)
        let (plain, _, _) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 3, s: 1, p: 1, bias: nil)
        bias.withUnsafeBufferPointer { b in
            scale.withUnsafeBufferPointer { s in
                shift.withUnsafeBufferPointer { t in
                    let epilogues: [(String, Epilogue, Bool)] = [
                        ("bias", Epilogue(bias: b.baseAddress), true),
                        ("relu", Epilogue(bias: b.baseAddress, activation: .relu), true),
                        ("leaky", Epilogue(bias: b.baseAddress, activation: .leakyRelu(0.2)), true),
                        ("tanh", Epilogue(bias: b.baseAddress, activation: .tanh), false),
                        ("dropout", Epilogue(bias: b.baseAddress, dropout: DropoutMask(
                            rate: 0.3, random: CounterRandom(seed: 9, stream: 2)), activation: .relu), false),
                        ("instance", Epilogue(bias: b.baseAddress, normalization: .instance(
                            scale: s.baseAddress!, shift: t.baseAddress!, epsilon: 1e-5), activation: .leakyRelu(0.2)), false),
                    ]
                    for (name, epilogue, storeTime) in epilogues {
                        XCTAssertEqual(Winograd.storeActivation(of: epilogue) != nil, storeTime, name)
                        var expected = plain
                        expected.withUnsafeMutableBufferPointer {
                            epilogue.apply(toImage: $0.baseAddress!, channels: o, spatial: h * w, image: 3, threads: 1)
                        }
                        for threads in [1, 2] {
                            let out = winograd(kernel, x, c: c, h: h, w: w, weights: weights, o: o,
                                               epilogue: epilogue, imageIndex: 3, threads: threads)
                            XCTAssertLessThan(relativeError(out, expected), kernel.testErrorBound,
                                              "\(kernel) \(name) threads \(threads)")
                        }
                    }
                }
            }
        }
    }

    /// The transform of a kernel that is 1 at its centre only: U[ξ] is the
    /// outer product of G's middle column (0, ½, −½, 0) with itself.
    func testWeightTransformOfCentreTap() {
        var g = [Float](repeating: 0, count: 9)
        g[4] = 1
        let u = g.withUnsafeBufferPointer { Winograd.transformWeights($0.baseAddress!, outChannels: 1, inChannels: 1) }
        let column: [Float] = [0, 0.5, -0.5, 0]
        XCTAssertEqual(u, (0..<16).map { column[$0 / 4] * column[$0 % 4] })
    }

    /// The same for F(4×4, 3×3): G's middle column is (0, −⅙, ⅙, 1/12,
    /// −1/12, 0).
    func testF43WeightTransformOfCentreTap() {
        var g = [Float](repeating: 0, count: 9)
        g[4] = 1
        var u = [Float](repeating: .nan, count: 36)
        g.withUnsafeBufferPointer { g in
            u.withUnsafeMutableBufferPointer { WinogradF43.transformWeights(g.baseAddress!, outChannels: 1, inChannels: 1, into: $0) }
        }
        let column: [Double] = [0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0]
        for (index, value) in u.enumerated() {
            XCTAssertEqual(value, Float(column[index / 6] * column[index % 6]), accuracy: 1e-8, "ξ \(index)")
        }
    }
}
