import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class ConcatTests: XCTestCase {
    func testForwardOrderAndBackwardSplit() throws {
        var rng = TestRandom(mixingSeed: 61)
        let a = rng.tensor(shape(2, 3, 5, 7)), b = rng.tensor(shape(2, 4, 5, 7))
        let concat = Concat(name: "up.0.concat")
        let y = try concat.forward(a, b)
        XCTAssertEqual(y.shape, shape(2, 7, 5, 7))
        for n in 0..<2 { for c in 0..<7 { for i in 0..<5 { for j in 0..<7 {
            XCTAssertEqual(y[n, c, i, j], c < 3 ? a[n, c, i, j] : b[n, c - 3, i, j])
        } } } }
        // y is a permutation of (a, b), so the backward split is its inverse.
        let (ga, gb) = try concat.backward(y)
        XCTAssertEqual(ga.toArray(), a.toArray())
        XCTAssertEqual(gb.toArray(), b.toArray())
    }

    func testGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 62)
        let a = rng.tensor(shape(3, 2, 3, 4)), b = rng.tensor(shape(3, 5, 3, 4))
        let concat = Concat()
        let r = rng.tensor(shape(3, 7, 3, 4))
        let objective = { () throws -> Double in
            let y = try concat.forward(a, b)
            return dot(y.pointer, r.pointer, count: y.count)
        }
        _ = try objective()
        let (ga, gb) = try concat.backward(r)
        let (analyticA, analyticB) = (ga.toArray().map(Double.init), gb.toArray().map(Double.init))
        assertGradient(analyticA, try numericGradient(of: objective, wrt: a.pointer, count: a.count, eps: 1e-3),
                       tolerance: 1e-2, "Concat first")
        assertGradient(analyticB, try numericGradient(of: objective, wrt: b.pointer, count: b.count, eps: 1e-3),
                       tolerance: 1e-2, "Concat second")
    }

    func testErrors() throws {
        let concat = Concat(name: "cat")
        XCTAssertThrowsError(try concat.backward(TrainTensor(shape: shape(1, 1, 1, 1)))) {
            XCTAssertEqual($0 as? TrainerError, .backwardBeforeForward(layer: "cat"))
        }
        XCTAssertThrowsError(try concat.forward(TrainTensor(shape: shape(1, 2, 4, 4)), TrainTensor(shape: shape(1, 2, 4, 3)))) {
            XCTAssertEqual($0 as? TrainerError,
                           .shapeMismatch("'cat': cannot concatenate 1x2x4x4 and 1x2x4x3 along channels (N, H, W must agree)"))
        }
    }
}
