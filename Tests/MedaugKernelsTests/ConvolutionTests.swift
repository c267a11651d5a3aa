import MedaugSupport
import MedaugTestSupport
import XCTest
import MedaugMicroKernels
@testable import MedaugKernels

final class ConvolutionTests: XCTestCase {
    /// Odd shapes: non-square, channel counts that are not multiples of 8,
    /// batch 3, stride 1 and 2, padding 0/1, kernels 1..4.
    let cases: [(n: Int, c: Int, h: Int, w: Int, o: Int, k: Int, s: Int, p: Int)] = [
        (3, 5, 9, 7, 11, 4, 2, 1),
        (1, 3, 16, 12, 6, 4, 2, 1),
        (3, 7, 6, 10, 5, 3, 1, 1),
        (2, 13, 5, 5, 3, 1, 1, 0),
        (3, 4, 8, 8, 9, 4, 1, 1),
        (1, 6, 4, 4, 17, 2, 2, 0),
        (2, 5, 2, 2, 4, 4, 2, 1),
        // Transposed, kernel = stride: 3 and 5 chunks of input rows
        // (`Convolution.transposedPatchesForward`).
        (2, 3, 130, 70, 8, 2, 2, 0),
        (1, 4, 50, 45, 30, 3, 3, 0),
    ]

    /// Runs every case in groups of `groupSize` images (grouped images need
    /// the column-exact GEMM, which `columnExact` also forces on groups of 1)
    /// and returns the outputs.
    @discardableResult
    func runConv(threads: Int, groupSize: Int, relu: Bool, columnExact: Bool = false) throws -> [[Float]] {
        var rng = TestRandom(seed: 1)
        var outputs: [[Float]] = []
        for t in cases {
            let x = rng.normals(t.n * t.c * t.h * t.w)
            let wts = rng.normals(t.o * t.c * t.k * t.k, scale: 0.3)
            let bias = rng.normals(t.o)
            var (expected, oh, ow) = Naive.conv(x, n: t.n, c: t.c, h: t.h, w: t.w, weights: wts, o: t.o,
                                                k: t.k, s: t.s, p: t.p, bias: bias)
            if relu { expected = expected.map { max($0, 0) } }
            let g = ConvGeometry(kernel: t.k, stride: t.s, padding: t.p)
            var out = [Float](repeating: .nan, count: expected.count)
            let group = min(groupSize, t.n)
            var scratch = [Float](repeating: 0, count: Convolution.scratchCount(
                inChannels: t.c, outChannels: t.o, geometry: g, outHeight: oh, outWidth: ow, images: group,
                columnExact: columnExact, threads: threads))
            bias.withUnsafeBufferPointer { b in
                let epilogue = Epilogue(bias: b.baseAddress, activation: relu ? .relu : .identity)
                var start = 0
                while start < t.n {
                    let count = min(group, t.n - start)
                    Convolution.forward(
                        input: x.withUnsafeBufferPointer { $0.baseAddress! } + start * t.c * t.h * t.w,
                        inputStride: t.c * t.h * t.w, inChannels: t.c, height: t.h, width: t.w,
                        weights: wts, outChannels: t.o, geometry: g,
                        output: out.withUnsafeMutableBufferPointer { $0.baseAddress! } + start * t.o * oh * ow,
                        outputStride: t.o * oh * ow, outHeight: oh, outWidth: ow,
                        images: count, imageIndex: start, epilogue: epilogue, columnExact: columnExact,
                        scratch: scratch.withUnsafeMutableBufferPointer { $0.baseAddress! }, threads: threads)
                    start += count
                }
            }
            let err = relativeError(out, expected)
            XCTAssertLessThan(err, 1e-5, "conv \(t) threads \(threads) group \(group): rel err \(err)")
            outputs.append(out)
        }
        return outputs
    }

    func testTiledConvolutionMatchesNaive() throws {
        // Tiles of a few output rows, so every case with more than a handful
        // of rows takes the tiled path (and its per-tile epilogue).
        let saved = (Convolution.tileFloats, Convolution.minimumTileColumns)
        defer { (Convolution.tileFloats, Convolution.minimumTileColumns) = saved }
        Convolution.tileFloats = 64
        Convolution.minimumTileColumns = 1
        XCTAssertNotNil(Convolution.tiling(inChannels: 5, geometry: ConvGeometry(kernel: 4, stride: 2, padding: 1),
                                           outHeight: 5, outWidth: 4, threads: 2))
        try forEachTier(running: .strips) { _ in
            try runConv(threads: 2, groupSize: 1, relu: true)
            try runConv(threads: 1, groupSize: 1, relu: false)
        }
        // The same tiles through OpenBLAS instead of the packed-strips kernel.
        defer { Convolution.stripsMaxChannelsOverride = nil }
        Convolution.stripsMaxChannelsOverride = 0
        try runConv(threads: 2, groupSize: 1, relu: true)
    }

    func testPackedStripsKernelMatchesNaive() throws {
        try forEachTier(running: .strips) { tier in
            guard tier.runs(.strips) else { return }
            try packedStripsKernelMatchesNaive()
        }
    }

    func packedStripsKernelMatchesNaive() throws {
        var rng = TestRandom(seed: 8)
        for (m, n, k) in [(1, 1, 1), (7, 33, 5), (8, 64, 9), (13, 70, 31), (32, 31, 288), (17, 100, 3), (9, 16, 20), (5, 48, 7)] {
            let a = rng.normals(m * k), b = rng.normals(k * n)
            var packed = [Float](repeating: .nan, count: Gemm.packedStripsCount(n: n, k: k))
            for j in 0..<n { for p in 0..<k { packed[((j / 32) * k + p) * 32 + j % 32] = b[p * n + j] } }
            var c = [Float](repeating: .nan, count: m * n)
            XCTAssertTrue(Gemm.multiplyPackedStrips(m: m, n: n, k: k, a: a, lda: k, packedB: packed, c: &c, ldc: n))
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                expected[i * n + j] = Float(sum)
            } }
            XCTAssertLessThan(relativeError(c, expected), 1e-5, "m \(m) n \(n) k \(k)")
        }
    }

    func testDirectConvolutionMatchesNaive() throws {
        try forEachTier(running: .direct) { tier in
            guard tier.runs(.direct) else { return }
            try directConvolutionMatchesNaive()
        }
    }

    /// Every tier's direct kernel sums each output in the same order: the
    /// same bits on avx512 and avx2.
    func testDirectKernelsOfAllTiersAgreeBitwise() throws {
        var rng = TestRandom(seed: 11)
        for (c, h, w, o, k, p) in [(3, 5, 33, 9, 3, 1), (2, 6, 70, 13, 5, 2), (1, 3, 31, 2, 7, 3)] {
            let x = rng.normals(c * h * w), wts = rng.normals(o * c * k * k, scale: 0.3)
            let oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1
            var results: [CPUTier: [UInt32]] = [:]
            try forEachTier(running: .direct) { tier in
                var out = [Float](repeating: .nan, count: o * oh * ow)
                if md_conv_direct_stride1(Int32(c), Int32(h), Int32(w), x, Int32(o), Int32(k), Int32(p), wts, Int32(oh),
                                          Int32(ow), 0, Int32(oh), &out) == 1 {
                    results[tier] = out.map(\.bitPattern)
                }
            }
            try XCTSkipIf(results.count < 2, "fewer than two tiers with a direct kernel here")
            XCTAssertEqual(Set(results.values).count, 1, "c \(c) w \(w) o \(o) k \(k): \(results.keys)")
        }
    }

    func directConvolutionMatchesNaive() throws {
        var rng = TestRandom(seed: 10)
        // Widths around the 32-pixel strip (31, 32, 33, 70), kernels 3/5/1,
        // output-channel counts around the 8-row block.
        for (c, h, w, o, k, p) in [(3, 5, 33, 9, 3, 1), (5, 4, 32, 8, 3, 1), (2, 6, 70, 17, 5, 2), (4, 3, 40, 3, 3, 0), (1, 2, 31, 1, 3, 1)] {
            let g = ConvGeometry(kernel: k, stride: 1, padding: p)
            let x = rng.normals(c * h * w)
            let wts = rng.normals(o * c * k * k, scale: 0.3)
            let bias = rng.normals(o)
            let (expected, oh, ow) = Naive.conv(x, n: 1, c: c, h: h, w: w, weights: wts, o: o, k: k, s: 1, p: p, bias: bias)
            XCTAssertEqual(Convolution.usesDirect(geometry: g, inChannels: c, outWidth: ow), ow >= 32)
            for threads in [1, 2] {
                var out = [Float](repeating: .nan, count: expected.count)
                var scratch = [Float](repeating: .nan, count: max(1, Convolution.scratchCount(
                    inChannels: c, outChannels: o, geometry: g, outHeight: oh, outWidth: ow, images: 1, threads: threads)))
                bias.withUnsafeBufferPointer { b in
                    Convolution.forward(input: x, inputStride: 0, inChannels: c, height: h, width: w, weights: wts,
                                        outChannels: o, geometry: g, output: &out, outputStride: 0, outHeight: oh,
                                        outWidth: ow, images: 1, imageIndex: 0, epilogue: Epilogue(bias: b.baseAddress),
                                        scratch: &scratch, threads: threads)
                }
                let err = relativeError(out, expected)
                XCTAssertLessThan(err, 1e-5, "direct c \(c) h \(h) w \(w) o \(o) k \(k) p \(p) threads \(threads): \(err)")
            }
        }
    }

    func testConvolutionMatchesNaive() throws {
        try forEachTier(running: .strips) { _ in
            try runConv(threads: 1, groupSize: 1, relu: false)
            try runConv(threads: 2, groupSize: 1, relu: true)
        }
    }

    /// Images grouped into one GEMM get the bits they get alone (on the same
    /// column-exact GEMM), and match the reference.
    func testGroupedImagesMatchNaiveAndThemselvesAlone() throws {
        try forEachTier(running: .strips) { _ in
            guard Gemm.hasColumnExactKernel else { return }
            try groupedImagesMatchNaiveAndThemselvesAlone()
        }
    }

    func groupedImagesMatchNaiveAndThemselvesAlone() throws {
        for (threads, relu) in [(2, false), (1, true)] {
            let alone = try runConv(threads: threads, groupSize: 1, relu: relu, columnExact: true)
            for group in [2, 3] {
                let grouped = try runConv(threads: threads, groupSize: group, relu: relu, columnExact: true)
                XCTAssertEqual(grouped.map { $0.map(\.bitPattern) }, alone.map { $0.map(\.bitPattern) },
                               "group of \(group), \(threads) thread(s): bitwise as alone")
            }
        }
    }

    func testTransposedConvolutionMatchesNaive() throws {
        try forEachTier(running: .strips) { _ in try transposedConvolutionMatchesNaive() }
    }

    func transposedConvolutionMatchesNaive() throws {
        var rng = TestRandom(seed: 2)
        for threads in [1, 2] {
            var runs: [(Int, Convolution.TransposedWeightLayout)] = [(1, .iohw), (1, .outputMajor)]
            if Gemm.hasColumnExactKernel { runs.append((2, .outputMajor)) }
            for (group, layout) in runs {
                for t in cases {
                    let x = rng.normals(t.n * t.c * t.h * t.w)
                    let iohw = rng.normals(t.c * t.o * t.k * t.k, scale: 0.3)
                    let wts = layout == .iohw ? iohw
                        : iohw.withUnsafeBufferPointer { w in
                            filled(w.count) { Convolution.packTransposedWeights(w, inChannels: t.c, into: $0) }
                        }
                    let bias = rng.normals(t.o)
                    let (expected, oh, ow) = Naive.convTranspose(x, n: t.n, c: t.c, h: t.h, w: t.w, weights: iohw,
                                                                 o: t.o, k: t.k, s: t.s, p: t.p, bias: bias)
                    let g = ConvGeometry(kernel: t.k, stride: t.s, padding: t.p)
                    let groupSize = min(group, t.n)
                    var scratch = [Float](repeating: 0, count: Convolution.transposedScratchCount(
                        inChannels: t.c, outChannels: t.o, geometry: g, inHeight: t.h, inWidth: t.w, outHeight: oh,
                        outWidth: ow, images: groupSize, columnExact: group > 1, threads: threads))
                    var out = [Float](repeating: .nan, count: expected.count)
                    bias.withUnsafeBufferPointer { b in
                        var start = 0
                        while start < t.n {
                            let count = min(groupSize, t.n - start)
                            Convolution.transposedForward(
                                input: x.withUnsafeBufferPointer { $0.baseAddress! } + start * t.c * t.h * t.w,
                                inputStride: t.c * t.h * t.w, inChannels: t.c, inHeight: t.h, inWidth: t.w,
                                weights: wts, layout: layout, outChannels: t.o, geometry: g,
                                output: out.withUnsafeMutableBufferPointer { $0.baseAddress! } + start * t.o * oh * ow,
                                outputStride: t.o * oh * ow, outHeight: oh, outWidth: ow,
                                images: count, imageIndex: start, epilogue: Epilogue(bias: b.baseAddress),
                                columnExact: group > 1, scratch: scratch.withUnsafeMutableBufferPointer { $0.baseAddress! }, threads: threads)
                            start += count
                        }
                    }
                    let err = relativeError(out, expected)
                    XCTAssertLessThan(err, 1e-5, "convT \(t) threads \(threads) group \(groupSize) \(layout): rel err \(err)")
                }
            }
        }
    }

    func testGemmSplitsGiveIdenticalResults() {
        var rng = TestRandom(seed: 3)
        for (m, n, k) in [(37, 301, 45), (300, 5, 70), (1, 1, 9), (64, 64, 64)] {
            let a = rng.normals(m * k), b = rng.normals(k * n)
            var one = [Float](repeating: 0, count: m * n), two = one
            Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &one, ldc: n, threads: 1)
            Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &two, ldc: n, threads: 2)
            XCTAssertLessThan(relativeError(two, one), 1e-6, "m \(m) n \(n) k \(k)")
            // Transposed A: store Aᵀ (k×m) and ask for its transpose.
            var at = [Float](repeating: 0, count: m * k)
            for i in 0..<m { for j in 0..<k { at[j * m + i] = a[i * k + j] } }
            var three = [Float](repeating: 0, count: m * n)
            Gemm.multiply(m: m, n: n, k: k, a: at, lda: m, transposeA: true, b: b, ldb: n, c: &three, ldc: n, threads: 2)
            XCTAssertLessThan(relativeError(three, one), 1e-6, "transposed m \(m) n \(n) k \(k)")
            // Transposed B: store Bᵀ (n×k).
            var bt = [Float](repeating: 0, count: k * n)
            for i in 0..<k { for j in 0..<n { bt[j * k + i] = b[i * n + j] } }
            var four = [Float](repeating: 0, count: m * n)
            Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: bt, ldb: k, transposeB: true, c: &four, ldc: n, threads: 2)
            XCTAssertLessThan(relativeError(four, one), 1e-6, "transposed B m \(m) n \(n) k \(k)")
        }
    }
}
