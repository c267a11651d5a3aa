import MedaugTestSupport
import XCTest
import Foundation
@testable import MedaugTrainer

final class BCEWithLogitsLossTests: XCTestCase {
    func testValueMatchesTheDefinition() throws {
        var rng = TestRandom(mixingSeed: 81)
        let x = rng.tensor(shape(2, 1, 3, 5), scale: 2)
        let y = try TrainTensor(shape: x.shape, values: (0..<x.count).map { _ in rng.uniform() })
        var expected: Double = 0
        for i in 0..<x.count {
            let p = 1 / (1 + Foundation.exp(-Double(x.pointer[i]))), t = Double(y.pointer[i])
            expected -= t * Foundation.log(p) + (1 - t) * Foundation.log(1 - p)
        }
        XCTAssertEqual(try BCEWithLogitsLoss().evaluate(logits: x, targets: y), expected / 30, accuracy: 1e-9)
    }

    func testGradientMatchesFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 82)
        let x = rng.tensor(shape(3, 1, 5, 7), scale: 2)
        let y = try TrainTensor(shape: x.shape, values: (0..<x.count).map { _ in rng.uniform() })
        let loss = BCEWithLogitsLoss()
        try checkLossGradient({ try loss.evaluate(logits: x, targets: y) }, gradient: loss.gradient, input: x,
                              "BCE with logits")
        try checkLossGradient({ try loss.evaluate(logits: x, target: 1) }, gradient: loss.gradient, input: x,
                              "BCE with logits, constant target")
    }

    func testLargeLogitsStayFinite() throws {
        let x = try TrainTensor(shape: shape(1, 1, 1, 4), values: [100, -100, 100, -100])
        let y = try TrainTensor(shape: x.shape, values: [1, 0, 0, 1])
        let loss = BCEWithLogitsLoss()
        // Right with confidence costs ~0; wrong costs |x|.
        XCTAssertEqual(try loss.evaluate(logits: x, targets: y), 50, accuracy: 1e-9)
        for (value, expected) in zip(loss.gradient.toArray(), [0, 0, 0.25, -0.25] as [Float]) {
            XCTAssertEqual(value, expected, accuracy: 1e-30)  // σ(−100) ≈ 4e-44 survives as a subnormal
        }
    }

    func testConstantTargetAndScale() throws {
        var rng = TestRandom(mixingSeed: 83)
        let x = rng.tensor(shape(2, 1, 3, 3))
        let loss = BCEWithLogitsLoss()
        let withTensor = try loss.evaluate(logits: x, targets: TrainTensor(shape: x.shape, repeating: 0))
        let gradient = loss.gradient.toArray()
        XCTAssertEqual(try loss.evaluate(logits: x, target: 0, scale: 3), withTensor)  // value unscaled
        for (value, unscaled) in zip(loss.gradient.toArray(), gradient) {
            XCTAssertEqual(value, 3 * unscaled, accuracy: 1e-7)
        }
        XCTAssertThrowsError(try loss.evaluate(logits: x, targets: TrainTensor(shape: shape(2, 1, 3, 2))))
    }
}
