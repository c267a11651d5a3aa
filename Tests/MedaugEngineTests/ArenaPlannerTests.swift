import XCTest
@testable import MedaugEngine

/// Exact offsets on tiny request lists (TensorFlow Lite's arena_planner_test
/// style). Sizes are multiples of 64 so alignment does not blur them.
final class ArenaPlannerTests: XCTestCase {
    func request(_ bytes: Int, _ first: Int, _ last: Int) -> AllocationRequest {
        AllocationRequest(bytes: bytes, lifetime: Lifetime(first: first, last: last))
    }

    func testChainReusesMemory() {
        // a → b → c → d: each value lives from its producer to its reader.
        let plan = ArenaPlanner.plan([request(256, 0, 1), request(128, 1, 2), request(256, 2, 3), request(64, 3, 4)])
        // Largest first: a at 0; c (256, steps 2-3) does not overlap a → 0;
        // b (128, 1-2) overlaps a and c → 256; d (64, 3-4) overlaps only c,
        // which fills [0, 256) → 256.
        XCTAssertEqual(plan.offsets, [0, 256, 0, 256])
        XCTAssertEqual(plan.totalBytes, 384)
        XCTAssertEqual(plan.lowerBoundBytes, 384)
    }

    func testSmallestFittingGapIsChosen() {
        let plan = ArenaPlanner.plan([
            request(512, 0, 9),     // X: first, at 0
            request(256, 0, 1),     // Y: overlaps X → 512
            request(192, 0, 9),     // Z: overlaps X and Y → 768
            request(128, 5, 6),     // W: overlaps X and Z only; Y's old room [512, 768) fits
        ])
        XCTAssertEqual(plan.offsets, [0, 512, 768, 512])
        XCTAssertEqual(plan.totalBytes, 960)
        XCTAssertEqual(plan.lowerBoundBytes, 960)
    }

    func testAlignmentAndZeroSizes() {
        let plan = ArenaPlanner.plan([request(10, 0, 1), request(0, 0, 1), request(70, 0, 1)])
        XCTAssertTrue(plan.offsets.allSatisfy { $0 % ArenaPlanner.alignment == 0 })
        XCTAssertEqual(plan.totalBytes, 64 + 128)
        XCTAssertEqual(plan.lowerBoundBytes, 192)
    }
}
