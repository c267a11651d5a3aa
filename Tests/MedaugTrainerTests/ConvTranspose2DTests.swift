import MedaugTestSupport
import XCTest
import MedaugKernels
import MedaugSupport
@testable import MedaugTrainer

final class ConvTranspose2DTests: XCTestCase {
    /// The pix2pix up-block geometry on odd sizes, the segmenter's 2x2/2 up,
    /// a stride-1 3x3 and a pointwise kernel; batch 2-3, channels 3-5.
    let cases: [(n: Int, c: Int, h: Int, w: Int, o: Int, k: Int, s: Int, p: Int, bias: Bool)] = [
        (2, 3, 3, 5, 4, 4, 2, 1, false),
        (3, 5, 4, 3, 3, 2, 2, 0, true),
        (2, 4, 5, 4, 3, 3, 1, 1, true),
        (2, 3, 3, 4, 5, 1, 1, 0, true),
    ]

    func makeLayer(_ t: (n: Int, c: Int, h: Int, w: Int, o: Int, k: Int, s: Int, p: Int, bias: Bool),
                   rng: inout TestRandom) throws -> ConvTranspose2D {
        let layer = try ConvTranspose2D(name: "up.0.convt", inChannels: t.c, outChannels: t.o,
                                        geometry: ConvGeometry(kernel: t.k, stride: t.s, padding: t.p),
                                        hasBias: t.bias)
        try layer.weight.load(rng.normals(layer.weight.count, scale: 0.3))
        try layer.bias?.load(rng.normals(t.o, scale: 0.3))
        return layer
    }

    func testForwardMatchesNaiveLoop() throws {
        var rng = TestRandom(mixingSeed: 11)
        for t in cases {
            let layer = try makeLayer(t, rng: &rng)
            let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
            let y = try layer.forward(x, training: true)
            let expected = Naive.convTranspose(x, weights: layer.weight.values(), o: t.o, k: t.k, s: t.s, p: t.p,
                                               bias: layer.bias?.values())
            XCTAssertEqual(y.count, expected.count, "\(t)")
            XCTAssertLessThan(Naive.maxDifference(y.toArray(), expected), 1e-4, "\(t)")
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 12)
        for t in cases {
            let layer = try makeLayer(t, rng: &rng)
            try checkLayerGradients(layer, input: rng.tensor(shape(t.n, t.c, t.h, t.w)), "ConvTranspose2D \(t)")
        }
    }

    /// ⟨convT(x), y⟩ = ⟨x, conv(y)⟩ for the same weights: the transposed
    /// convolution is the adjoint of the convolution (bias-free).
    func testIsTheAdjointOfConv2D() throws {
        var rng = TestRandom(mixingSeed: 13)
        let g = ConvGeometry(kernel: 4, stride: 2, padding: 1)
        let convT = try ConvTranspose2D(name: "t", inChannels: 4, outChannels: 3, geometry: g, hasBias: false)
        let conv = try Conv2D(name: "c", inChannels: 3, outChannels: 4, geometry: g, hasBias: false)
        let weights = rng.normals(convT.weight.count)
        try convT.weight.load(weights)
        try conv.weight.load(weights)  // IOHW [4, 3, k, k] read as OIHW [4, 3, k, k]
        let x = rng.tensor(shape(2, 4, 3, 5))
        let y = rng.tensor(try convT.outputShape(for: x.shape))
        let left = dot(try convT.forward(x, training: true).pointer, y.pointer, count: y.count)
        let right = dot(x.pointer, try conv.forward(y, training: true).pointer, count: x.count)
        XCTAssertEqual(left, right, accuracy: 1e-4 * max(1, abs(left)))
    }

    func testTwoThreadsGiveTheSameGradients() throws {
        var rng = TestRandom(mixingSeed: 14)
        let t = (n: 2, c: 20, h: 6, w: 7, o: 9, k: 4, s: 2, p: 1, bias: true)
        let one = try makeLayer(t, rng: &rng)
        let two = try ConvTranspose2D(name: "x", inChannels: t.c, outChannels: t.o, geometry: one.geometry,
                                      hasBias: true)
        try two.weight.load(one.weight.values())
        try two.bias?.load(one.bias!.values())
        two.threads = 2
        let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
        let y1 = try one.forward(x, training: true).toArray(), y2 = try two.forward(x, training: true).toArray()
        XCTAssertLessThan(Naive.maxDifference(y1, y2), 1e-5)
        let g = rng.tensor(try one.outputShape(for: x.shape))
        XCTAssertLessThan(Naive.maxDifference(try one.backward(g).toArray(), try two.backward(g).toArray()), 1e-5)
        XCTAssertLessThan(Naive.maxDifference(Array(one.weight.gradient), Array(two.weight.gradient)), 1e-4)
        XCTAssertLessThan(Naive.maxDifference(Array(one.bias!.gradient), Array(two.bias!.gradient)), 1e-4)
    }

    /// `checkStaleGradientsAreOverwritten` on every case.
    func testBackwardAfterZeroGradientsOverwritesStaleGradients() throws {
        var rng = TestRandom(mixingSeed: 17)
        for t in cases {
            let layer = try makeLayer(t, rng: &rng)
            let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
            let g = rng.tensor(try layer.outputShape(for: x.shape))
            try checkStaleGradientsAreOverwritten(layer, x: x, gradOutput: g, "\(t)")
        }
    }

    /// `checkOneImageDefersItsWeightGradient` on the first case, one image.
    func testOneImageDefersItsWeightGradientAndAddsToIt() throws {
        var rng = TestRandom(mixingSeed: 18)
        var t = cases[0]
        t.n = 1
        let layer = try makeLayer(t, rng: &rng)
        let x = rng.tensor(shape(t.n, t.c, t.h, t.w))
        let g = rng.tensor(try layer.outputShape(for: x.shape))
        try checkOneImageDefersItsWeightGradient(layer, weight: layer.weight, x: x, gradOutput: g)
    }

    func testNamesShapesAndErrors() throws {
        let layer = try ConvTranspose2D(name: "up.2.convt", inChannels: 6, outChannels: 2,
                                        geometry: ConvGeometry(kernel: 4, stride: 2, padding: 1), hasBias: false)
        XCTAssertEqual(layer.parameters.map(\.name), ["up.2.convt.weight"])
        XCTAssertEqual(layer.weight.shape, [6, 2, 4, 4])
        XCTAssertEqual(try layer.outputShape(for: shape(3, 6, 3, 5)), shape(3, 2, 6, 10))
        XCTAssertThrowsError(try layer.forward(TrainTensor(shape: shape(1, 2, 4, 4)), training: true))
        XCTAssertThrowsError(try layer.backward(TrainTensor(shape: shape(1, 2, 4, 4)))) {
            XCTAssertEqual($0 as? TrainerError, .backwardBeforeForward(layer: "up.2.convt"))
        }
        _ = try layer.forward(TrainTensor(shape: shape(1, 6, 2, 2)), training: true)
        XCTAssertThrowsError(try layer.backward(TrainTensor(shape: shape(1, 2, 5, 4)))) {
            XCTAssertEqual($0 as? TrainerError,
                           .shapeMismatch("'up.2.convt': output gradient is 1x2x5x4, the last output was 1x2x4x4"))
        }
    }
}
