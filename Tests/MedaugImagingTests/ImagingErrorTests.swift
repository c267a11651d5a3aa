import XCTest
@testable import MedaugImaging

final class ImagingErrorTests: XCTestCase {
    func testMessagesNameTheFile() {
        XCTAssertEqual(ImagingError.malformed(path: "a.tif", reason: "truncated strip 3").description,
                       "'a.tif' is not a valid file: truncated strip 3")
    }
}
