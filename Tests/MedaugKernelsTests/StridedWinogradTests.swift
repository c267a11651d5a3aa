import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugKernels

final class StridedWinogradTests: XCTestCase {
    /// Odd and even sides, widths below, at and above the 16-tile vector
    /// (and the fifth load of the convolution's input gather), rows of ≤ 8
    /// tiles stacked two to a vector over several bands with an odd last
    /// one, channel counts that are not multiples of 8, one and two threads.
    let shapes = [(5, 7, 9, 3), (3, 8, 8, 11), (2, 13, 66, 7), (1, 2, 2, 2), (4, 5, 130, 9), (6, 64, 63, 5),
                  (3, 70, 30, 4), (2, 45, 16, 3), (2, 66, 33, 3)]

    /// The kernels and the family whose code each runs.
    static let convolutionKernels: [(WinogradKernel, MicroKernelFamily)] = [
        (.stridedConvolution, .stridedWinograd), (.stridedConvolutionF42, .stridedWinogradF42),
    ]

    /// One image through a convolution kernel, with NaN-filled output and scratch.
    func convolution(_ kernel: WinogradKernel, _ x: [Float], c: Int, h: Int, w: Int, u: [Float], o: Int,
                     epilogue: Epilogue = Epilogue(), threads: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: o * (h / 2) * (w / 2))
        var scratch = [Float](repeating: .nan, count: kernel.scratchCount(inChannels: c, outChannels: o, height: h,
                                                                          width: w, threads: threads))
        kernel.forward(input: x, inChannels: c, height: h, width: w, transformedWeights: u, outChannels: o,
                       output: &out, imageIndex: 2, epilogue: epilogue, scratch: &scratch, threads: threads)
        return out
    }

    func testConvolutionMatchesNaive() throws {
        for (kernel, family) in Self.convolutionKernels {
            try forEachTier(running: family) { tier in
                guard tier.runs(family) else { return }
                convolutionMatchesNaive(kernel)
            }
        }
    }

    /// Besides `shapes`: output heights that are no multiple of F(4×4,
    /// 2×2)'s 4-row tiles, output widths on both sides of its 16-column
    /// quads, odd input sides.
    func convolutionMatchesNaive(_ kernel: WinogradKernel) {
        var rng = TestRandom(seed: 21)
        for (c, h, w, o) in shapes + [(3, 3, 3, 2), (2, 35, 33, 9), (9, 18, 65, 8), (4, 10, 31, 5)] {
            let x = rng.normals(c * h * w)
            let weights = rng.normals(o * c * 16, scale: 0.3)
            let (expected, oh, ow) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 4, s: 2, p: 1, bias: nil)
            XCTAssertEqual([oh, ow], [h / 2, w / 2])
            let u = transformed(kernel, weights, o: o, c: c)
            for threads in [1, 2] {
                let out = convolution(kernel, x, c: c, h: h, w: w, u: u, o: o, threads: threads)
                XCTAssertLessThan(relativeError(out, expected), kernel.testErrorBound,
                                  "\(kernel) c \(c) h \(h) w \(w) o \(o) threads \(threads)")
            }
        }
    }

    /// The transposed kernels and the family whose code each runs.
    static let transposedKernels: [(WinogradKernel, MicroKernelFamily)] = [
        (.stridedTransposed, .stridedWinograd), (.stridedTransposedF42, .stridedWinogradF42),
    ]

    /// `kernel`'s transformed weights of `weights` (OIHW, or IOHW when
    /// transposed).
    func transformed(_ kernel: WinogradKernel, _ weights: [Float], o: Int, c: Int) -> [Float] {
        weights.withUnsafeBufferPointer { w in
            filled(kernel.transformedWeightCount(outChannels: o, inChannels: c)) {
                kernel.transformWeights(w.baseAddress!, outChannels: o, inChannels: c, into: $0)
            }
        }
    }

    /// One image through a transposed kernel, with NaN-filled output and scratch.
    func transposed(_ kernel: WinogradKernel, _ x: [Float], c: Int, h: Int, w: Int, u: [Float], o: Int,
                    epilogue: Epilogue = Epilogue(), threads: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: o * 4 * h * w)
        var scratch = [Float](repeating: .nan, count: kernel.scratchCount(inChannels: c, outChannels: o, height: h,
                                                                          width: w, threads: threads))
        kernel.forward(input: x, inChannels: c, height: h, width: w, transformedWeights: u, outChannels: o,
                       output: &out, imageIndex: 2, epilogue: epilogue, scratch: &scratch, threads: threads)
        return out
    }

    func testTransposedConvolutionMatchesNaive() throws {
        for (kernel, family) in Self.transposedKernels {
            try forEachTier(running: family) { tier in
                guard tier.runs(family) else { return }
                transposedConvolutionMatchesNaive(kernel)
            }
        }
    }

    /// Besides `shapes`: one pixel, heights that are no multiple of F(4×4,
    /// 2×2)'s 4-row tiles, and widths on both sides of its 16-column quads.
    func transposedConvolutionMatchesNaive(_ kernel: WinogradKernel) {
        var rng = TestRandom(seed: 22)
        for (c, h, w, o) in shapes + [(3, 1, 1, 4), (2, 40, 33, 3), (3, 17, 17, 5), (2, 6, 15, 9), (9, 33, 47, 8)] {
            let x = rng.normals(c * h * w)
            let weights = rng.normals(c * o * 16, scale: 0.3)
            let (expected, oh, ow) = Naive.convTranspose(x, n: 1, c: c, h: h, w: w, weights: weights, o: o,
                                                         k: 4, s: 2, p: 1, bias: nil)
            XCTAssertEqual([oh, ow], [2 * h, 2 * w])
            let u = transformed(kernel, weights, o: o, c: c)
            for threads in [1, 2] {
                let out = transposed(kernel, x, c: c, h: h, w: w, u: u, o: o, threads: threads)
                XCTAssertLessThan(relativeError(out, expected), kernel.testErrorBound,
                                  "\(kernel) c \(c) h \(h) w \(w) o \(o) threads \(threads)")
            }
        }
    }

    /// Bias + activation at the store, and the general epilogue after it,
    /// in plain and stacked vectors over several bands.
    func testEpilogues() throws {
        try forEachTier(running: .stridedWinograd) { tier in
            guard tier.runs(.stridedWinograd) else { return }
            try epilogues()
        }
    }

    func epilogues() throws {
        try checkEpilogues(c: 3, h: 10, w: 36, o: 5)
        try checkEpilogues(c: 3, h: 70, w: 16, o: 5)
    }

    func checkEpilogues(c: Int, h: Int, w: Int, o: Int) throws {
        var rng = TestRandom(seed: 23)
        let x = rng.normals(c * h * w)
        let weights = rng.normals(o * c * 16, scale: 0.3)
        let bias = rng.normals(o), scale = rng.normals(o), shift = rng.normals(o)
        let (conv, _, _) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 4, s: 2, p: 1, bias: nil)
        let (transposed, _, _) = Naive.convTranspose(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 4, s: 2, p: 1,
                                                     bias: nil)
        bias.withUnsafeBufferPointer { b in
            scale.withUnsafeBufferPointer { s in
                shift.withUnsafeBufferPointer { t in
                    let epilogues: [(String, Epilogue)] = [
                        ("leaky", Epilogue(bias: b.baseAddress, activation: .leakyRelu(0.2))),
                        ("relu", Epilogue(bias: b.baseAddress, activation: .relu)),
                        ("dropout", Epilogue(bias: b.baseAddress, dropout: DropoutMask(
                            rate: 0.5, random: CounterRandom(seed: 4, stream: 1)), activation: .relu)),
                        ("tanh", Epilogue(bias: b.baseAddress, activation: .tanh)),
                        ("instance", Epilogue(bias: b.baseAddress, normalization: .instance(
                            scale: s.baseAddress!, shift: t.baseAddress!, epsilon: 1e-5), activation: .relu)),
                    ]
                    for (name, epilogue) in epilogues {
                        var expectedConv = conv, expectedTransposed = transposed
                        expectedConv.withUnsafeMutableBufferPointer {
                            epilogue.apply(toImage: $0.baseAddress!, channels: o, spatial: (h / 2) * (w / 2), image: 2, threads: 1)
                        }
                        expectedTransposed.withUnsafeMutableBufferPointer {
                            epilogue.apply(toImage: $0.baseAddress!, channels: o, spatial: 4 * h * w, image: 2, threads: 1)
                        }
                        for (kernel, family) in Self.convolutionKernels where CPUTier.current.runs(family) {
                            let out = convolution(kernel, x, c: c, h: h, w: w, u: transformed(kernel, weights, o: o, c: c),
                                                  o: o, epilogue: epilogue, threads: 2)
                            XCTAssertLessThan(relativeError(out, expectedConv), 1e-5, "\(kernel) \(name)")
                        }
                        for (kernel, family) in Self.transposedKernels where CPUTier.current.runs(family) {
                            let out = self.transposed(kernel, x, c: c, h: h, w: w, u: transformed(kernel, weights, o: o, c: c),
                                                 o: o, epilogue: epilogue, threads: 2)
                            XCTAssertLessThan(relativeError(out, expectedTransposed), 1e-5, "\(kernel) \(name)")
                        }
                    }
                }
            }
        }
    }
}
