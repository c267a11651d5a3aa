import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugKernels

final class WinogradTests: XCTestCase {
    /// Runs Winograd.forward on one image and returns the output.
    private func winograd(_ x: [Float], c: Int, h: Int, w: Int, weights: [Float], o: Int,
                          epilogue: Epilogue = Epilogue(), imageIndex: Int = 0, threads: Int) -> [Float] {
        let u = weights.withUnsafeBufferPointer {
            Winograd.transformWeights($0.baseAddress!, outChannels: o, inChannels: c)
        }
        XCTAssertEqual(u.count, Winograd.transformedWeightCount(outChannels: o, inChannels: c))
        var out = [Float](repeating: .nan, count: o * h * w)
        // NaN scratch: any read of a float the kernel did not write shows.
        var scratch = [Float](repeating: .nan, count: Winograd.scratchCount(
            inChannels: c, outChannels: o, height: h, width: w, threads: threads))
        Winograd.forward(input: x, inChannels: c, height: h, width: w, transformedWeights: u, outChannels: o,
                         output: &out, imageIndex: imageIndex, epilogue: epilogue, scratch: &scratch, threads: threads)
        return out
    }

    /// Odd and even sides (1, odd widths, widths around 32 and 16-tile
    /// vectors, rows of ≤ 8 tiles stacked two to a vector over several
    /// bands), channel counts that are not multiples of 8.
    func testMatchesNaiveConvolution() throws {
        try forEachTier(running: .winograd) { tier in
            guard tier.runs(.winograd) else { return }
            try matchesNaiveConvolution()
        }
    }

    func matchesNaiveConvolution() throws {
        var rng = TestRandom(seed: 5)
        for (c, h, w, o) in [(5, 7, 9, 3), (3, 8, 8, 11), (16, 13, 6, 7), (1, 1, 1, 2), (2, 2, 3, 1),
                             (3, 5, 33, 9), (2, 4, 65, 17), (7, 3, 31, 5), (4, 37, 16, 6), (3, 9, 15, 5)] {
            let x = rng.normals(c * h * w)
            let weights = rng.normals(o * c * 9, scale: 0.3)
            let (expected, oh, ow) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o,
                                                k: 3, s: 1, p: 1, bias: nil)
            XCTAssertEqual([oh, ow], [h, w])
            for threads in [1, 2] {
                let out = winograd(x, c: c, h: h, w: w, weights: weights, o: o, threads: threads)
                let error = relativeError(out, expected)
                XCTAssertLessThan(error, 1e-5, "c \(c) h \(h) w \(w) o \(o) threads \(threads)")
            }
        }
    }

    /// Tall enough for several bands per thread.
    func testBandsCoverTallImages() throws {
        try forEachTier(running: .winograd) { tier in
            guard tier.runs(.winograd) else { return }
            try bandsCoverTallImages()
        }
    }

    func bandsCoverTallImages() throws {
        var rng = TestRandom(seed: 6)
        let (c, h, w, o) = (12, 54, 50, 10)
        XCTAssertLessThan(Winograd.band(inChannels: c, outChannels: o, height: h, width: w).rows * 4, (h + 1) / 2)
        let x = rng.normals(c * h * w)
        let weights = rng.normals(o * c * 9, scale: 0.1)
        let (expected, _, _) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 3, s: 1, p: 1, bias: nil)
        XCTAssertLessThan(relativeError(winograd(x, c: c, h: h, w: w, weights: weights, o: o, threads: 2), expected), 1e-5)
    }

    /// Bias and ReLU / LeakyReLU applied at the kernel's store, and the
    /// general epilogue paths (dropout per band, instance norm per image),
    /// against the naive convolution followed by the same epilogue.
    func testEpilogues() throws {
        try forEachTier(running: .winograd) { tier in
            guard tier.runs(.winograd) else { return }
            try epilogues()
        }
    }

    func epilogues() throws {
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
                            let out = winograd(x, c: c, h: h, w: w, weights: weights, o: o, epilogue: epilogue,
                                               imageIndex: 3, threads: threads)
                            XCTAssertLessThan(relativeError(out, expected), 1e-5, "\(name) threads \(threads)")
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
}
