import MedaugKernels
import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class DirectConvolutionPathTests: XCTestCase {
    func testRuleTakesStrideOneLayersTheEngineRunsDirect() throws {
        let three = ConvGeometry(kernel: 3, stride: 1, padding: 1)
        for tier in CPUTier.supported {
            try CPUTier.withForced(tier) {
                let direct = tier.runs(.direct)
                XCTAssertEqual(DirectConvolutionPath.fits(three, inChannels: 8, outWidth: 64), direct, "\(tier)")
                XCTAssertEqual(DirectConvolutionPath.fits(three, inChannels: 256, outWidth: 32), direct, "\(tier)")
                // Narrower than the kernel's 32-pixel strips, a reduction
                // too deep for L1, a strided layer, a pointwise one.
                XCTAssertFalse(DirectConvolutionPath.fits(three, inChannels: 8, outWidth: 16))
                XCTAssertFalse(DirectConvolutionPath.fits(three, inChannels: 512, outWidth: 64))
                XCTAssertFalse(DirectConvolutionPath.fits(ConvGeometry(kernel: 3, stride: 2, padding: 1),
                                                          inChannels: 8, outWidth: 64))
                XCTAssertFalse(DirectConvolutionPath.fits(ConvGeometry(kernel: 1, stride: 1, padding: 0),
                                                          inChannels: 8, outWidth: 64))
            }
        }
        // dx of a strided layer is no stride-1 convolution of dy.
        XCTAssertFalse(DirectConvolutionPath.fitsInputGradient(ConvGeometry(kernel: 4, stride: 2, padding: 1),
                                                               outChannels: 8, inWidth: 64))
        XCTAssertEqual(DirectConvolutionPath.fitsInputGradient(three, outChannels: 8, inWidth: 64),
                       CPUTier.current.runs(.direct))
        XCTAssertEqual(DirectConvolutionPath.gradientGeometry(three), three)
        XCTAssertEqual(DirectConvolutionPath.gradientGeometry(ConvGeometry(kernel: 5, stride: 1, padding: 0)),
                       ConvGeometry(kernel: 5, stride: 1, padding: 4))
    }

    /// Odd channel counts around the kernel's 8-row blocks, widths that are
    /// not multiples of its 32-pixel strips, padding 0 (whose input
    /// gradient is padded by k − 1), a 5×5 kernel, two images.
    let cases: [(n: Int, c: Int, o: Int, h: Int, w: Int, k: Int, p: Int)] = [
        (2, 1, 8, 5, 64, 3, 1),
        (1, 9, 17, 3, 45, 3, 1),
        (2, 8, 3, 4, 36, 3, 0),
        (1, 5, 11, 6, 37, 5, 2),
    ]

    /// y, dx and dW against the direct sums on every tier, asserting that
    /// the forward pass and the input gradient each ran the direct kernel
    /// and dW the weight-gradient kernel where the tier has them.
    func testForwardAndGradientsMatchTheDirectSums() throws {
        var rng = TestRandom(mixingSeed: 21)
        for t in cases {
            let layer = try Conv2D(name: "enc.0.conv1", inChannels: t.c, outChannels: t.o,
                                   geometry: ConvGeometry(kernel: t.k, stride: 1, padding: t.p), hasBias: true)
            try layer.weight.load(rng.normals(layer.weight.count, scale: 0.3))
            try layer.bias?.load(rng.normals(t.o, scale: 0.3))
            layer.threads = 2
            let x = rng.tensor(TensorShape(n: t.n, c: t.c, h: t.h, w: t.w))
            let dy = rng.tensor(try layer.outputShape(for: x.shape))
            let y = Naive.conv(x, weights: layer.weight.values(), o: t.o, k: t.k, s: 1, p: t.p,
                               bias: layer.bias?.values())
            let dx = Naive.convTranspose(dy, weights: layer.weight.values(), o: t.c, k: t.k, s: 1, p: t.p, bias: nil)
            let dw = Naive.weightGradient(x, dy, k: t.k, s: 1, p: t.p)
            try forEachTier(running: .direct) { tier in
                let label = "\(t) \(tier)"
                let ranBefore = MicroKernelFamily.direct.runs(on: tier)
                let gradientRunsBefore = MicroKernelFamily.directWeightGradient.runs(on: tier)
                XCTAssertLessThan(relativeError(try layer.forward(x, training: true).toArray(), y), 2e-6, label)
                let ranForward = MicroKernelFamily.direct.runs(on: tier)
                layer.weight.zeroGradient()
                XCTAssertLessThan(relativeError(try layer.backward(dy).toArray(), dx), 2e-6, label)
                XCTAssertLessThan(relativeError(Array(layer.weight.gradient), dw), 2e-6, label)
                if tier.runs(.direct) {
                    XCTAssertGreaterThan(ranForward, ranBefore, "forward did not run the direct kernel: \(label)")
                    XCTAssertGreaterThan(MicroKernelFamily.direct.runs(on: tier), ranForward,
                                         "dx did not run the direct kernel: \(label)")
                }
                if tier.runs(.directWeightGradient) {
                    XCTAssertGreaterThan(MicroKernelFamily.directWeightGradient.runs(on: tier), gradientRunsBefore,
                                         "dW did not run the weight-gradient kernel: \(label)")
                }
            }
        }
    }

    /// Strided layers wide enough for the direct kernel's rule but not on
    /// Winograd (too few channels, or too narrow an output) keep im2col +
    /// GEMM for all three passes. (A first version sent the input gradient
    /// of such a layer, pix2pix's discriminator layer 64 → 128 at 32 → 16
    /// pixels, to the direct kernel as if it had stride 1.)
    func testStridedLayersKeepTheirGemmGradients() throws {
        var rng = TestRandom(mixingSeed: 23)
        // (Sizes the transposed reference maps back exactly: H + 2p − k even.)
        for (k, c, o, h, w) in [(4, 5, 6, 6, 48), (3, 9, 10, 7, 41), (4, 16, 12, 4, 40)] {
            let layer = try Conv2D(name: "disc.1.conv", inChannels: c, outChannels: o,
                                   geometry: ConvGeometry(kernel: k, stride: 2, padding: 1), hasBias: false)
            try layer.weight.load(rng.normals(layer.weight.count, scale: 0.3))
            layer.threads = 2
            let x = rng.tensor(TensorShape(n: 2, c: c, h: h, w: w))
            let dy = rng.tensor(try layer.outputShape(for: x.shape))
            let y = Naive.conv(x, weights: layer.weight.values(), o: o, k: k, s: 2, p: 1, bias: nil)
            let dx = Naive.convTranspose(dy, weights: layer.weight.values(), o: c, k: k, s: 2, p: 1, bias: nil)
            let dw = Naive.weightGradient(x, dy, k: k, s: 2, p: 1)
            for tier in CPUTier.supported { try CPUTier.withForced(tier) {
                let label = "k\(k) \(c)→\(o) w\(w) \(tier)"
                XCTAssertLessThan(relativeError(try layer.forward(x, training: true).toArray(), y), 2e-6, label)
                layer.weight.zeroGradient()
                XCTAssertLessThan(relativeError(try layer.backward(dy).toArray(), dx), 2e-6, label)
                XCTAssertLessThan(relativeError(Array(layer.weight.gradient), dw), 2e-6, label)
            }}
        }
    }

    /// Each output is one fixed multiply-add chain, and each weight-gradient
    /// sum one fixed lane order, so the bits do not depend on the thread
    /// count.
    func testThreadCountDoesNotChangeTheBits() throws {
        var rng = TestRandom(mixingSeed: 22)
        let layer = try Conv2D(name: "enc.1.conv2", inChannels: 16, outChannels: 16,
                               geometry: ConvGeometry(kernel: 3, stride: 1, padding: 1), hasBias: true)
        try layer.weight.load(rng.normals(layer.weight.count, scale: 0.3))
        let x = rng.tensor(TensorShape(n: 2, c: 16, h: 13, w: 40))
        let dy = rng.tensor(try layer.outputShape(for: x.shape))
        try forEachTier(running: .direct) { tier in
            guard tier.runs(.direct) else { return }  // generic: OpenBLAS's bits
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                layer.threads = threads
                layer.weight.zeroGradient()
                let y = try layer.forward(x, training: true).toArray(), dx = try layer.backward(dy).toArray()
                // Where dW runs on GEMM it has OpenBLAS's bits, which vary with the threads.
                results.append(y + dx + (tier.runs(.directWeightGradient) ? Array(layer.weight.gradient) : []))
            }
            XCTAssertTrue(results[0] == results[1], "1 and 2 threads differ on \(tier)")
            XCTAssertTrue(results[0] == results[2], "1 and 3 threads differ on \(tier)")
        }
    }
}
