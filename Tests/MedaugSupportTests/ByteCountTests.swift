import XCTest
import MedaugSupport

final class ByteCountTests: XCTestCase {
    func testSmallSizesAreNeverZeroMiB() {
        XCTAssertEqual(describeBytes(0), "0 bytes")
        XCTAssertEqual(describeBytes(1), "1 byte")
        XCTAssertEqual(describeBytes(1023), "1023 bytes")
        XCTAssertEqual(describeBytes(1024), "1.0 KiB")
        XCTAssertEqual(describeBytes(3584), "3.5 KiB")
        XCTAssertEqual(describeBytes(3 << 20), "3.0 MiB")
        XCTAssertEqual(describeBytes((1 << 20) - 1), "1024.0 KiB")
        XCTAssertEqual(describeBytes(3 << 29), "1.50 GiB")
        XCTAssertEqual(describeBytes((1 << 30) + (1 << 20) * 51), "1.05 GiB")
    }
}
