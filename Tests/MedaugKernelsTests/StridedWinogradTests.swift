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

    func convolutionWeights(_ weights: [Float], o: Int, c: Int) -> [Float] {
        weights.withUnsafeBufferPointer { w in
            filled(StridedWinograd.transformedWeightCount(outChannels: o, inChannels: c)) {
                StridedWinograd.transformConvolutionWeights(w.baseAddress!, outChannels: o, inChannels: c, into: $0)
            }
        }
    }

    func transposedWeights(_ weights: [Float], o: Int, c: Int) -> [Float] {
        weights.withUnsafeBufferPointer { w in
            filled(StridedWinograd.transformedWeightCount(outChannels: o, inChannels: c)) {
                StridedWinograd.transformTransposedWeights(w.baseAddress!, outChannels: o, inChannels: c, into: $0)
            }
        }
    }

    func testConvolutionMatchesNaive() throws {
        try forEachTier(running: .stridedWinograd) { tier in
            guard tier.runs(.stridedWinograd) else { return }
            try convolutionMatchesNaive()
        }
    }

    func convolutionMatchesNaive() throws {
        var rng = TestRandom(seed: 21)
        for (c, h, w, o) in shapes {
            let x = rng.normals(c * h * w)
            let weights = rng.normals(o * c * 16, scale: 0.3)
            let (expected, oh, ow) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: weights, o: o, k: 4, s: 2, p: 1, bias: nil)
            XCTAssertEqual([oh, ow], [h / 2, w / 2])
            let u = convolutionWeights(weights, o: o, c: c)
            for threads in [1, 2] {
                var out = [Float](repeating: .nan, count: expected.count)
                var scratch = [Float](repeating: .nan, count: StridedWinograd.convolutionScratchCount(
                    inChannels: c, outChannels: o, height: h, width: w, threads: threads))
                StridedWinograd.convolutionForward(input: x, inChannels: c, height: h, width: w, transformedWeights: u,
                                                   outChannels: o, output: &out, scratch: &scratch, threads: threads)
                XCTAssertLessThan(relativeError(out, expected), 1e-5, "c \(c) h \(h) w \(w) o \(o) threads \(threads)")
            }
        }
    }

    func testTransposedConvolutionMatchesNaive() throws {
        try forEachTier(running: .stridedWinograd) { tier in
            guard tier.runs(.stridedWinograd) else { return }
            try transposedConvolutionMatchesNaive()
        }
    }

    func transposedConvolutionMatchesNaive() throws {
        var rng = TestRandom(seed: 22)
        for (c, h, w, o) in shapes + [(3, 1, 1, 4), (2, 40, 33, 3)] {
            let x = rng.normals(c * h * w)
            let weights = rng.normals(c * o * 16, scale: 0.3)
            let (expected, oh, ow) = Naive.convTranspose(x, n: 1, c: c, h: h, w: w, weights: weights, o: o,
                                                         k: 4, s: 2, p: 1, bias: nil)
            XCTAssertEqual([oh, ow], [2 * h, 2 * w])
            let u = transposedWeights(weights, o: o, c: c)
            for threads in [1, 2] {
                var out = [Float](repeating: .nan, count: expected.count)
                var scratch = [Float](repeating: .nan, count: StridedWinograd.transposedScratchCount(
                    inChannels: c, outChannels: o, height: h, width: w, threads: threads))
                StridedWinograd.transposedForward(input: x, inChannels: c, height: h, width: w, transformedWeights: u,
                                                  outChannels: o, output: &out, scratch: &scratch, threads: threads)
                XCTAssertLessThan(relativeError(out, expected), 1e-5, "c \(c) h \(h) w \(w) o \(o) threads \(threads)")
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
        let uc = convolutionWeights(weights, o: o, c: c)
        let ut = transposedWeights(weights, o: o, c: c)
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
                        var out = [Float](repeating: .nan, count: conv.count)
                        var scratch = [Float](repeating: .nan, count: StridedWinograd.convolutionScratchCount(
                            inChannels: c, outChannels: o, height: h, width: w, threads: 2))
                        StridedWinograd.convolutionForward(input: x, inChannels: c, height: h, width: w,
                                                           transformedWeights: uc, outChannels: o, output: &out,
                                                           imageIndex: 2, epilogue: epilogue, scratch: &scratch, threads: 2)
                        XCTAssertLessThan(relativeError(out, expectedConv), 1e-5, "conv \(name)")
                        out = [Float](repeating: .nan, count: transposed.count)
                        scratch = [Float](repeating: .nan, count: StridedWinograd.transposedScratchCount(
                            inChannels: c, outChannels: o, height: h, width: w, threads: 2))
                        StridedWinograd.transposedForward(input: x, inChannels: c, height: h, width: w,
                                                          transformedWeights: ut, outChannels: o, output: &out,
                                                          imageIndex: 2, epilogue: epilogue, scratch: &scratch, threads: 2)
                        XCTAssertLessThan(relativeError(out, expectedTransposed), 1e-5, "transposed \(name)")
                    }
                }
            }
        }
    }
}
