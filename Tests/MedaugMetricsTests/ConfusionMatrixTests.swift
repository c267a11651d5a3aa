import XCTest
@testable import MedaugMetrics

final class ConfusionMatrixTests: XCTestCase {
    func testCountsPairsAndRejectsBadIndices() throws {
        var m = try ConfusionMatrix(classes: 3)
        try m.add(prediction: [0, 1, 2, 2, 1], truth: [0, 1, 1, 2, 0])
        XCTAssertEqual(m[0, 0], 1)
        XCTAssertEqual(m[1, 2], 1)
        XCTAssertEqual(m[0, 1], 1)
        XCTAssertEqual(m.total, 5)
        XCTAssertThrowsError(try m.add(prediction: [3], truth: [0]))
        XCTAssertThrowsError(try m.add(prediction: [0, 0], truth: [0]))
        XCTAssertThrowsError(try ConfusionMatrix(classes: 0))
        var sum = try ConfusionMatrix(classes: 3)
        try sum.add(m)
        try sum.add(m)
        XCTAssertEqual(sum.total, 10)
    }
}
