import MedaugKernels
import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class StridedWinogradPathTests: XCTestCase {
    func testRuleFollowsItsMeasurement() {
        func kernel(_ i: Int, _ o: Int, _ width: Int, _ tier: CPUTier) -> WinogradKernel? {
            let kernels = StridedWinogradPath.kernels(inChannels: i, outChannels: o, tileWidth: width, tier: tier)
            XCTAssertEqual(kernels?.transposed, kernels.map {
                $0.convolution == .stridedConvolution ? .stridedTransposed : .stridedTransposedF42
            })
            return kernels?.convolution
        }
        for tier in [CPUTier.avx512, .avx2, .neon] {
            // generator-256's layers as the rule's table lists them.
            XCTAssertEqual(kernel(64, 128, 64, tier), .stridedConvolutionF42)
            XCTAssertEqual(kernel(128, 256, 32, tier), .stridedConvolution)
            XCTAssertNil(kernel(256, 512, 16, tier))
            XCTAssertNil(kernel(1024, 256, 16, tier))
            XCTAssertEqual(kernel(512, 128, 32, tier), .stridedConvolution)
            XCTAssertEqual(kernel(256, 64, 64, tier), .stridedConvolutionF42)
            // The one-hot input layer and the one-channel output layer.
            XCTAssertNil(kernel(4, 64, 128, tier))
            XCTAssertNil(kernel(128, 1, 128, tier))
        }
        XCTAssertNil(kernel(64, 128, 64, .generic))
        let pix2pix = ConvGeometry(kernel: 4, stride: 2, padding: 1)
        XCTAssertTrue(StridedWinogradPath.fits(pix2pix, convolutionInput: 6, 64))
        XCTAssertFalse(StridedWinogradPath.fits(pix2pix, convolutionInput: 7, 64))
        XCTAssertFalse(StridedWinogradPath.fits(ConvGeometry(kernel: 3, stride: 1, padding: 1), convolutionInput: 64, 64))
    }

    /// Layers wide enough for Winograd, with channel counts on either side
    /// of the F(4×4, 2×2) rule, odd channels, short non-square planes and
    /// two images on two threads; y and dx against the direct sums (dx of a
    /// convolution is the transposed convolution of dy and back), on every
    /// tier (generic runs im2col + GEMM).
    let cases: [(family: MicroKernelFamily, n: Int, c: Int, o: Int, h: Int, w: Int)] = [
        (.stridedWinogradF42, 2, 9, 8, 6, 64),
        (.stridedWinograd, 1, 129, 128, 4, 64),
    ]

    func testConvolutionMatchesTheDirectSums() throws {
        var rng = TestRandom(mixingSeed: 11)
        for t in cases {
            let layer = try Conv2D(name: "down.1.conv", inChannels: t.c, outChannels: t.o,
                                   geometry: ConvGeometry(kernel: 4, stride: 2, padding: 1), hasBias: true)
            try load(layer.weight, layer.bias, &rng)
            let x = rng.tensor(TensorShape(n: t.n, c: t.c, h: t.h, w: t.w))
            let dy = rng.tensor(try layer.outputShape(for: x.shape))
            let y = Naive.conv(x, weights: layer.weight.values(), o: t.o, k: 4, s: 2, p: 1,
                               bias: layer.bias?.values())
            let dx = Naive.convTranspose(dy, weights: layer.weight.values(), o: t.c, k: 4, s: 2, p: 1, bias: nil)
            try assertMatches(layer, x: x, dy: dy, y: y, dx: dx, family: t.family, "\(t)")
        }
    }

    func testTransposedConvolutionMatchesTheDirectSums() throws {
        var rng = TestRandom(mixingSeed: 12)
        for t in cases {
            let layer = try ConvTranspose2D(name: "up.5.convt", inChannels: t.c, outChannels: t.o,
                                            geometry: ConvGeometry(kernel: 4, stride: 2, padding: 1), hasBias: true)
            try load(layer.weight, layer.bias, &rng)
            let x = rng.tensor(TensorShape(n: t.n, c: t.c, h: t.h / 2, w: t.w / 2))
            let dy = rng.tensor(try layer.outputShape(for: x.shape))
            let y = Naive.convTranspose(x, weights: layer.weight.values(), o: t.o, k: 4, s: 2, p: 1,
                                        bias: layer.bias?.values())
            let dx = Naive.conv(dy, weights: layer.weight.values(), o: t.c, k: 4, s: 2, p: 1, bias: nil)
            try assertMatches(layer, x: x, dy: dy, y: y, dx: dx, family: t.family, "\(t)")
        }
    }

    /// With `reusesWeightTransforms` on, a convolution transforms its
    /// weights once: later forward and backward passes give the bits of a
    /// layer that transforms them every pass, and weights changed while it
    /// is on are not seen (which is why the owner switches it off first)
    /// until it is switched off.
    func testReusedTransformsGiveTheSameBitsUntilSwitchedOff() throws {
        var rng = TestRandom(mixingSeed: 13)
        let geometry = ConvGeometry(kernel: 4, stride: 2, padding: 1)
        for t in cases {
            try forEachTier(running: t.family) { tier in
                let reusing = try Conv2D(name: "down.1.conv", inChannels: t.c, outChannels: t.o, geometry: geometry,
                                         hasBias: true)
                let fresh = try Conv2D(name: "down.1.conv", inChannels: t.c, outChannels: t.o, geometry: geometry,
                                       hasBias: true)
                try load(reusing.weight, reusing.bias, &rng)
                try fresh.weight.load(reusing.weight.values())
                try fresh.bias?.load(reusing.bias!.values())
                // The same threads: OpenBLAS's bits (generic) depend on the split.
                reusing.threads = 2
                fresh.threads = 2
                reusing.reusesWeightTransforms = true
                let shape = TensorShape(n: t.n, c: t.c, h: t.h, w: t.w)
                for _ in 0..<2 {
                    let x = rng.tensor(shape)
                    XCTAssertEqual(try reusing.forward(x, training: true).toArray(),
                                   try fresh.forward(x, training: true).toArray(), "\(t) \(tier)")
                    let dy = rng.tensor(try fresh.outputShape(for: shape))
                    XCTAssertEqual(try reusing.backward(dy).toArray(), try fresh.backward(dy).toArray(), "\(t) \(tier)")
                }
                let x = rng.tensor(shape)
                let old = try fresh.forward(x, training: true).toArray()
                try reusing.weight.load(rng.normals(reusing.weight.count, scale: 0.3))
                try fresh.weight.load(reusing.weight.values())
                if tier.runs(t.family) {
                    XCTAssertEqual(try reusing.forward(x, training: true).toArray(), old, "\(t) \(tier)")
                }
                reusing.reusesWeightTransforms = false
                XCTAssertEqual(try reusing.forward(x, training: true).toArray(),
                               try fresh.forward(x, training: true).toArray(), "\(t) \(tier)")
            }
        }
    }

    private func load(_ weight: Parameter, _ bias: Parameter?, _ rng: inout TestRandom) throws {
        try weight.load(rng.normals(weight.count, scale: 0.3))
        try bias?.load(rng.normals(bias?.count ?? 0, scale: 0.3))
    }

    /// y and dx of `layer` on two threads against the direct sums, on every
    /// tier, with `family`'s kernel run where the tier has it.
    private func assertMatches(_ layer: any Layer, x: TrainTensor, dy: TrainTensor, y: [Float],
                               dx: [Float], family: MicroKernelFamily, _ label: String) throws {
        layer.threads = 2
        try forEachTier(running: family) { tier in
            XCTAssertLessThan(relativeError(try layer.forward(x, training: true).toArray(), y), 2e-6, "\(label) \(tier)")
            XCTAssertLessThan(relativeError(try layer.backward(dy).toArray(), dx), 2e-6, "\(label) \(tier)")
        }
    }
}
