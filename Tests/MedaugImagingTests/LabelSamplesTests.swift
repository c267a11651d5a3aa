import XCTest
@testable import MedaugImaging

final class LabelSamplesTests: XCTestCase {
    func testRoundsByTheRuleGiven() throws {
        let values: [Float] = [0, 1, 2.5, -2.5, 7.9, 2_147_483_520, -2_147_483_648]
        XCTAssertEqual(try LabelSamples.int32(values, rounding: .towardZero, path: "m.tif"),
                       [0, 1, 2, -2, 7, 2_147_483_520, -2_147_483_648])
        XCTAssertEqual(try LabelSamples.int32(values, rounding: .toNearestOrAwayFromZero, path: "l.nii"),
                       [0, 1, 3, -3, 8, 2_147_483_520, -2_147_483_648])
    }

    /// NaN, infinities and values beyond Int32 trapped in Int32(_:); now
    /// an error naming the file, the value and where it is.
    func testNonIntegerLabelsAreNamedErrors() {
        for bad: Float in [.nan, .infinity, -.infinity, 2_147_483_648, -2_147_483_904, 1e20] {
            XCTAssertThrowsError(try LabelSamples.int32([0, 1, bad], rounding: .towardZero, path: "m.tif")) { error in
                guard case ImagingError.malformed(let path, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "m.tif")
                XCTAssertTrue(reason.contains("label value \(bad) at voxel 2"), reason)
            }
        }
    }
}
