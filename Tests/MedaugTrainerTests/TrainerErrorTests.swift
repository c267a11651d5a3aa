import XCTest
@testable import MedaugTrainer

final class TrainerErrorTests: XCTestCase {
    func testMessages() {
        XCTAssertEqual(TrainerError.nonFiniteLoss(step: 12, loss: "L1").description,
                       "the L1 loss became non-finite at step 12; training stopped")
        XCTAssertEqual(TrainerError.backwardBeforeForward(layer: "up.0.convt").description,
                       "backward on 'up.0.convt' before any forward: there are no saved activations")
        XCTAssertEqual(TrainerError.labelOutOfRange(label: 5, classes: 4).description,
                       "label 5 is not a class index (expected 0..<4)")
        XCTAssertEqual(TrainerError.shapeMismatch("x").description, "x")
    }
}
