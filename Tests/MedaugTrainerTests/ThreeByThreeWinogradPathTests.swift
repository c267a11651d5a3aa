import MedaugKernels
import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class ThreeByThreeWinogradPathTests: XCTestCase {
    func testRuleFollowsItsMeasurement() {
        func kernel(_ i: Int, _ o: Int, _ width: Int, _ tier: CPUTier,
                    _ geometry: ConvGeometry = ConvGeometry(kernel: 3, stride: 1, padding: 1)) -> WinogradKernel? {
            ThreeByThreeWinogradPath.kernel(geometry, inChannels: i, outChannels: o, width: width, tier: tier)
        }
        for tier in [CPUTier.avx512, .avx2, .neon] {
            // The paper preset's U-Net as the rule's table lists it.
            XCTAssertEqual(kernel(32, 32, 128, tier), .f43)
            XCTAssertEqual(kernel(96, 32, 128, tier), .f43)
            XCTAssertEqual(kernel(64, 64, 64, tier), .f43)
            XCTAssertEqual(kernel(128, 128, 32, tier), .f23)
            XCTAssertEqual(kernel(384, 128, 63, tier), .f23)
            XCTAssertNil(kernel(256, 256, 16, tier))
            // The input layer, the quick preset's 8- and 16-channel layers,
            // and an input gradient into 16 channels.
            XCTAssertNil(kernel(1, 32, 128, tier))
            XCTAssertNil(kernel(8, 8, 64, tier))
            XCTAssertNil(kernel(48, 16, 64, tier))
            XCTAssertNil(kernel(32, 16, 128, tier))
            // Other geometries.
            XCTAssertNil(kernel(32, 32, 64, tier, ConvGeometry(kernel: 3, stride: 1, padding: 0)))
            XCTAssertNil(kernel(32, 32, 64, tier, ConvGeometry(kernel: 3, stride: 2, padding: 1)))
            XCTAssertNil(kernel(32, 32, 64, tier, ConvGeometry(kernel: 5, stride: 1, padding: 2)))
        }
        XCTAssertNil(kernel(32, 32, 128, .generic))
    }

    /// Odd channel counts, widths on either side of the F(4×4, 3×3) rule
    /// and not multiples of a tile, short planes, two images; y, dx and dW
    /// against the direct sums on every tier, with the Winograd kernel of
    /// the rule run for y and for dx where the tier has it (generic runs
    /// im2col + GEMM).
    let cases: [(family: MicroKernelFamily, n: Int, c: Int, o: Int, h: Int, w: Int)] = [
        (.winogradF43, 2, 33, 32, 5, 66),
        (.winograd, 1, 32, 35, 6, 37),
        (.winogradF43, 1, 40, 36, 7, 64),
    ]

    func testForwardAndGradientsMatchTheDirectSums() throws {
        var rng = TestRandom(mixingSeed: 31)
        for t in cases {
            let layer = try Conv2D(name: "enc.0.conv2", inChannels: t.c, outChannels: t.o,
                                   geometry: ConvGeometry(kernel: 3, stride: 1, padding: 1), hasBias: true)
            try layer.weight.load(rng.normals(layer.weight.count, scale: 0.3))
            try layer.bias?.load(rng.normals(t.o, scale: 0.3))
            layer.threads = 2
            let x = rng.tensor(TensorShape(n: t.n, c: t.c, h: t.h, w: t.w))
            let dy = rng.tensor(try layer.outputShape(for: x.shape))
            let y = Naive.conv(x, weights: layer.weight.values(), o: t.o, k: 3, s: 1, p: 1,
                               bias: layer.bias?.values())
            let dx = Naive.convTranspose(dy, weights: layer.weight.values(), o: t.c, k: 3, s: 1, p: 1, bias: nil)
            let dw = Naive.weightGradient(x, dy, k: 3, s: 1, p: 1)
            try forEachTier(running: t.family) { tier in
                let label = "\(t) \(tier)"
                let before = t.family.runs(on: tier)
                // Winograd's transforms round more than the direct sums.
                XCTAssertLessThan(relativeError(try layer.forward(x, training: true).toArray(), y), 2e-5, label)
                let afterForward = t.family.runs(on: tier)
                layer.weight.zeroGradient()
                XCTAssertLessThan(relativeError(try layer.backward(dy).toArray(), dx), 2e-5, label)
                XCTAssertLessThan(relativeError(Array(layer.weight.gradient), dw), 2e-6, label)
                if tier.runs(t.family) {
                    XCTAssertGreaterThan(afterForward, before, "forward did not run \(t.family): \(label)")
                    XCTAssertGreaterThan(t.family.runs(on: tier), afterForward, "dx did not run \(t.family): \(label)")
                }
            }
        }
    }

    /// The transforms and bands split the work by output channels and
    /// tiles, never a sum, so the thread count does not change the bits.
    func testThreadCountDoesNotChangeTheBits() throws {
        var rng = TestRandom(mixingSeed: 32)
        let layer = try Conv2D(name: "enc.1.conv2", inChannels: 32, outChannels: 34,
                               geometry: ConvGeometry(kernel: 3, stride: 1, padding: 1), hasBias: true)
        try layer.weight.load(rng.normals(layer.weight.count, scale: 0.3))
        try layer.bias?.load(rng.normals(34, scale: 0.3))
        let x = rng.tensor(TensorShape(n: 2, c: 32, h: 9, w: 72))
        let dy = rng.tensor(try layer.outputShape(for: x.shape))
        for tier in CPUTier.supported where tier.runs(.winogradF43) {
            try CPUTier.withForced(tier) {
                var results: [[Float]] = []
                for threads in [1, 2, 3] {
                    layer.threads = threads
                    let y = try layer.forward(x, training: true).toArray()
                    results.append(y + (try layer.backward(dy).toArray()))
                }
                XCTAssertEqual(results[0], results[1], "\(tier)")
                XCTAssertEqual(results[0], results[2], "\(tier)")
            }
        }
    }
}
