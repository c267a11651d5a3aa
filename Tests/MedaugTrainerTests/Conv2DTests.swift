import MedaugTestSupport
import XCTest
import MedaugKernels
import MedaugSupport
@testable import MedaugTrainer

final class Conv2DTests: XCTestCase {
    /// Odd shapes: batch 2-3, channels 3-5, non-square sizes, the pix2pix
    /// 4x4/2/1 geometry, 3x3 'same', pointwise 1x1 and a stride that leaves
    /// a remainder.
    let cases: [(n: Int, c: Int, h: Int, w: Int, o: Int, k: Int, s: Int, p: Int, bias: Bool)] = [
        (2, 3, 5, 7, 4, 4, 2, 1, false),
        (3, 4, 6, 5, 3, 3, 1, 1, true),
        (2, 5, 4, 3, 3, 1, 1, 0, true),
        (2, 3, 7, 6, 5, 3, 2, 0, true),
    ]

    func makeLayer(_ t: (n: Int, c: Int, h: Int, w: Int, o: Int, k: Int, s: Int, p: Int, bias: Bool),
                   rng: inout TestRandom) throws -> Conv2D {
        let layer = try Conv2D(name: "down.0.conv", inChannels: t.c, outChannels: t.o,
                               geometry: ConvGeometry(kernel: t.k, stride: t.s, padding: t.p), hasBias: t.bias)
        try layer.weight.load(rng.normals(layer.weight.count, scale: 0.3))
        try layer.bias?.load(rng.normals(t.o, scale: 0.3))
        return layer
    }

    func testForwardMatchesNaiveLoop() throws {
        var rng = TestRandom(mixingSeed: 1)
        for t in cases {
            let layer = try makeLayer(t, rng: &rng)
            let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
            let y = try layer.forward(x, training: true)
            let expected = Naive.conv(x, weights: layer.weight.values(), o: t.o, k: t.k, s: t.s, p: t.p,
                                      bias: layer.bias?.values())
            XCTAssertEqual(y.count, expected.count, "\(t)")
            XCTAssertLessThan(Naive.maxDifference(y.toArray(), expected), 1e-4, "\(t)")
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 2)
        for t in cases {
            let layer = try makeLayer(t, rng: &rng)
            try checkLayerGradients(layer, input: rng.tensor(shape(t.n, t.c, t.h, t.w)), "Conv2D \(t)")
        }
    }

    func testTwoThreadsGiveTheSameGradients() throws {
        var rng = TestRandom(mixingSeed: 3)
        let t = (n: 2, c: 5, h: 13, w: 11, o: 24, k: 4, s: 2, p: 1, bias: true)
        let one = try makeLayer(t, rng: &rng)
        let two = try Conv2D(name: "x", inChannels: t.c, outChannels: t.o, geometry: one.geometry, hasBias: true)
        try two.weight.load(one.weight.values())
        try two.bias?.load(one.bias!.values())
        two.threads = 2
        let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
        let y1 = try one.forward(x, training: true).toArray(), y2 = try two.forward(x, training: true).toArray()
        XCTAssertLessThan(Naive.maxDifference(y1, y2), 1e-5)
        let g = rng.tensor(try one.outputShape(for: x.shape))
        let d1 = try one.backward(g).toArray(), d2 = try two.backward(g).toArray()
        XCTAssertLessThan(Naive.maxDifference(d1, d2), 1e-5)
        XCTAssertLessThan(Naive.maxDifference(Array(one.weight.gradient), Array(two.weight.gradient)), 1e-4)
    }

    func testBackwardAccumulatesParameterGradients() throws {
        var rng = TestRandom(mixingSeed: 4)
        let layer = try makeLayer(cases[0], rng: &rng)
        let x = rng.tensor(shape(2, 3, 5, 7))
        let g = rng.tensor(try layer.outputShape(for: x.shape))
        _ = try layer.forward(x, training: true)
        _ = try layer.backward(g)
        let once = Array(layer.weight.gradient)
        _ = try layer.backward(g)
        XCTAssertLessThan(Naive.maxDifference(Array(layer.weight.gradient), once.map { 2 * $0 }), 1e-5)
    }

    /// `checkStaleGradientsAreOverwritten` on every case.
    func testBackwardAfterZeroGradientsOverwritesStaleGradients() throws {
        var rng = TestRandom(mixingSeed: 7)
        for t in cases {
            let layer = try makeLayer(t, rng: &rng)
            let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
            let g = rng.tensor(try layer.outputShape(for: x.shape))
            try checkStaleGradientsAreOverwritten(layer, x: x, gradOutput: g, "\(t)")
        }
    }

    /// `checkOneImageDefersItsWeightGradient` on the first case, one image.
    func testOneImageDefersItsWeightGradientAndAddsToIt() throws {
        var rng = TestRandom(mixingSeed: 8)
        var t = cases[0]
        t.n = 1
        let layer = try makeLayer(t, rng: &rng)
        let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
        let g = rng.tensor(try layer.outputShape(for: x.shape))
        try checkOneImageDefersItsWeightGradient(layer, weight: layer.weight, x: x, gradOutput: g)
    }

    func testSkippedInputGradientIsZeroAndWeightsStillLearn() throws {
        var rng = TestRandom(mixingSeed: 5)
        let layer = try makeLayer(cases[1], rng: &rng)
        layer.computesInputGradient = false
        let x = rng.tensor(shape(3, 4, 6, 5))
        _ = try layer.forward(x, training: true)
        let dx = try layer.backward(rng.tensor(try layer.outputShape(for: x.shape)))
        XCTAssertEqual(dx.shape, x.shape)
        XCTAssertTrue(dx.toArray().allSatisfy { $0 == 0 })
        XCTAssertFalse(layer.weight.gradient.allSatisfy { $0 == 0 })
    }

    func testNamesShapesAndErrors() throws {
        let layer = try Conv2D(name: "down.1.conv", inChannels: 3, outChannels: 8,
                               geometry: ConvGeometry(kernel: 4, stride: 2, padding: 1), hasBias: true)
        XCTAssertEqual(layer.parameters.map(\.name), ["down.1.conv.weight", "down.1.conv.bias"])
        XCTAssertEqual(layer.weight.shape, [8, 3, 4, 4])
        XCTAssertEqual(try layer.outputShape(for: shape(2, 3, 5, 7)), shape(2, 8, 2, 3))
        XCTAssertThrowsError(try layer.forward(TrainTensor(shape: shape(1, 4, 8, 8)), training: true)) {
            XCTAssertEqual($0 as? TrainerError,
                           .shapeMismatch("'down.1.conv': expected an input of 3 channels, found 1x4x8x8"))
        }
        XCTAssertThrowsError(try layer.backward(TrainTensor(shape: shape(1, 8, 2, 2)))) {
            XCTAssertEqual($0 as? TrainerError, .backwardBeforeForward(layer: "down.1.conv"))
        }
        XCTAssertThrowsError(try layer.forward(TrainTensor(shape: shape(1, 3, 1, 1)), training: true))
        XCTAssertThrowsError(try Conv2D(name: "bad", inChannels: 0, outChannels: 1,
                                        geometry: ConvGeometry(kernel: 3, stride: 1, padding: 1), hasBias: false))
    }
}
