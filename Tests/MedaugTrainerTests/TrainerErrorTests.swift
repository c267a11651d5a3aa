import XCTest
@testable import MedaugTrainer

final class TrainerErrorTests: XCTestCase {
    func testMessages() {
        XCTAssertEqual(TrainerError.nonFiniteLoss(step: 12, loss: "L1").description,
                       "the L1 loss became non-finite at step 12; training stopped")
    }
}
