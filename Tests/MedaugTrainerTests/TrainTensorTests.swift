import XCTest
@testable import MedaugTrainer

final class TrainTensorTests: XCTestCase {
    func testResizeReusesStorageUntilItMustGrow() {
        let t = TrainTensor(shape: shape(2, 3, 4, 5))
        let start = t.pointer
        XCTAssertFalse(t.resize(to: shape(1, 3, 4, 5)))
        XCTAssertEqual(t.count, 60)
        XCTAssertFalse(t.resize(to: shape(2, 3, 4, 5)))
        XCTAssertEqual(t.pointer, start)
        XCTAssertTrue(t.resize(to: shape(2, 3, 4, 6)))
        XCTAssertEqual(t.capacity, 144)
    }

    func testIndexingIsNCHW() throws {
        let t = try TrainTensor(shape: shape(2, 3, 4, 5), values: (0..<120).map(Float.init))
        XCTAssertEqual(t[1, 2, 3, 4], 119)
        XCTAssertEqual(t[1, 0, 0, 0], 60)
        XCTAssertEqual(t.image(1)[0], 60)
        t[0, 1, 2, 3] = -1
        XCTAssertEqual(t.pointer[20 + 10 + 3], -1)
        XCTAssertEqual(shape(2, 3, 4, 5).description, "2x3x4x5")
        XCTAssertEqual(shape(2, 3, 4, 5).dimensions, [2, 3, 4, 5])
    }

    func testCopyAndFill() throws {
        let a = try TrainTensor(shape: shape(1, 1, 2, 2), values: [1, 2, 3, 4])
        let b = TrainTensor(shape: shape(1, 1, 1, 1))
        b.copy(from: a)
        XCTAssertEqual(b.shape, a.shape)
        XCTAssertEqual(b.toArray(), [1, 2, 3, 4])
        b.fill(7)
        XCTAssertEqual(b.toArray(), [7, 7, 7, 7])
    }

    func testCountsAreChecked() {
        XCTAssertThrowsError(try TrainTensor(shape: shape(1, 1, 2, 2), values: [1, 2, 3])) {
            XCTAssertEqual($0 as? TrainerError, .shapeMismatch("3 values given for a tensor of shape 1x1x2x2 (4 floats)"))
        }
        XCTAssertThrowsError(try LabelMap(n: 1, h: 2, w: 2, labels: [0]))
    }

    func testLabelMapResize() throws {
        let labels = try LabelMap(n: 1, h: 2, w: 2, labels: [0, 1, 2, 3])
        let start = labels.pointer
        labels.resize(n: 1, h: 1, w: 3)
        XCTAssertEqual(labels.pointer, start)
        XCTAssertEqual(labels.count, 3)
        labels.resize(n: 2, h: 2, w: 2)
        XCTAssertEqual(labels.count, 8)
    }
}
