import XCTest
@testable import MedaugImaging

final class ForegroundTests: XCTestCase {
    /// Zeros around the anatomy (a masked MRI): every non-zero voxel is
    /// foreground, however dark.
    func testZerosAroundTheAnatomyAreBackground() {
        var values = [Float](repeating: 0, count: 100)
        for i in 40..<60 { values[i] = Float(i % 3) * 10 + 1 }
        values[10] = .nan
        let mask = Foreground.mask(values)
        XCTAssertEqual(mask.enumerated().filter(\.element).map(\.offset), Array(40..<60))
    }

    /// No zeros (a noise floor; a CT's air below zero): Otsu splits the dark
    /// and bright modes.
    func testOtsuSplitsTwoModes() {
        var values: [Float] = []
        for i in 0..<400 { values.append(10 + Float(i % 7)) }          // air: 10…16
        for i in 0..<200 { values.append(100 + Float(i % 11)) }        // tissue: 100…110
        let mask = Foreground.mask(values)
        XCTAssertEqual(mask.prefix(400).filter { $0 }.count, 0)
        XCTAssertEqual(mask.suffix(200).filter { $0 }.count, 200)
        XCTAssertEqual(Foreground.mask([3, 3, 3]), [false, false, false])
        let ct: [Float] = [Float](repeating: -1000, count: 300) + [Float](repeating: 0, count: 50) + [40, 60, 80]
        XCTAssertEqual(Foreground.mask(ct).filter { $0 }.count, 53)
    }

    func testUnlabelledForegroundGetsItsClass() {
        let image: [Float] = [0, 0, 5, 6, 7, 0]
        let labels: [Int32] = [0, 0, 0, 2, 0, 0]
        XCTAssertEqual(Foreground.labellingUnlabelled(labels, background: 0, image: image, as: 9), [0, 0, 9, 2, 9, 0])
        let added = Foreground.addingClass("body", to: ["background", "liver"], labelValues: [0, 4])
        XCTAssertEqual(added.classes, ["background", "liver", "body"])
        XCTAssertEqual(added.labelValues, [0, 4, 5])
        XCTAssertEqual(added.value, 5)
        XCTAssertEqual(Foreground.addingClass("liver", to: ["background", "liver"], labelValues: [0, 4]).value, 4)
    }
}
