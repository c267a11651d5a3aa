import Foundation
import XCTest
@testable import MedaugTrainer

final class LearningRateScheduleTests: XCTestCase {
    func testPolyScheduleDecaysFromTheBaseRateTowardsZero() {
        let poly = LearningRateSchedule.poly(exponent: 0.9)
        XCTAssertEqual(poly.learningRate(base: 0.01, step: 0, of: 100), 0.01)
        XCTAssertEqual(poly.learningRate(base: 0.01, step: 50, of: 100), 0.01 * Float(pow(0.5, 0.9)), accuracy: 1e-8)
        XCTAssertEqual(poly.learningRate(base: 0.01, step: 99, of: 100), 0.01 * Float(pow(0.01, 0.9)), accuracy: 1e-9)
        XCTAssertGreaterThan(poly.learningRate(base: 0.01, step: 99, of: 100), 0)
        XCTAssertEqual(LearningRateSchedule.constant.learningRate(base: 0.01, step: 99, of: 100), 0.01)
    }

    func testLinearDecayKeepsTheBaseRateThenFallsToZero() {
        let decay = LearningRateSchedule.linearDecay(decayShare: 0.5)
        XCTAssertEqual(decay.learningRate(base: 0.02, step: 0, of: 100), 0.02)
        XCTAssertEqual(decay.learningRate(base: 0.02, step: 49, of: 100), 0.02)
        XCTAssertEqual(decay.learningRate(base: 0.02, step: 50, of: 100), 0.02)
        XCTAssertEqual(decay.learningRate(base: 0.02, step: 75, of: 100), 0.01, accuracy: 1e-9)
        XCTAssertEqual(decay.learningRate(base: 0.02, step: 100, of: 100), 0)
        XCTAssertEqual(LearningRateSchedule.linearDecay(decayShare: 0).learningRate(base: 0.02, step: 99, of: 100), 0.02)
        XCTAssertEqual(LearningRateSchedule.linearDecay(decayShare: 1).learningRate(base: 0.02, step: 10, of: 100), 0.018,
                       accuracy: 1e-9)
    }
}
