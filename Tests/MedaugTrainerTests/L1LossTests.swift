import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class L1LossTests: XCTestCase {
    func testValueAndGradient() throws {
        var rng = TestRandom(mixingSeed: 91)
        let a = rng.tensor(shape(2, 3, 5, 7)), b = rng.tensor(shape(2, 3, 5, 7))
        // Keep |a − b| ≥ 0.05 so ±eps never crosses the kink.
        for i in 0..<a.count where abs(a.pointer[i] - b.pointer[i]) < 0.05 { a.pointer[i] = b.pointer[i] + 0.05 }
        let loss = L1Loss()
        let expected = (0..<a.count).reduce(0.0) { $0 + Double(abs(a.pointer[$1] - b.pointer[$1])) } / Double(a.count)
        XCTAssertEqual(try loss.evaluate(prediction: a, target: b), expected, accuracy: 1e-9)
        try checkLossGradient({ try loss.evaluate(prediction: a, target: b) }, gradient: loss.gradient, input: a, "L1")
    }

    func testSubgradientIsZeroWhereEqualAndScaleApplies() throws {
        let a = try TrainTensor(shape: shape(1, 1, 1, 4), values: [1, 2, 3, 4])
        let b = try TrainTensor(shape: shape(1, 1, 1, 4), values: [1, 3, 1, 4])
        let loss = L1Loss()
        XCTAssertEqual(try loss.evaluate(prediction: a, target: b, scale: 100), 0.75)
        XCTAssertEqual(loss.gradient.toArray(), [0, -25, 25, 0])
        XCTAssertThrowsError(try loss.evaluate(prediction: a, target: TrainTensor(shape: shape(1, 1, 2, 2))))
    }
}
