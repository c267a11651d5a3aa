import XCTest
import MedaugSupport

final class CacheAlignedTests: XCTestCase {
    /// Sizes below and above glibc's mmap threshold (128 KiB), where a
    /// plain allocation lands 16 bytes past a page boundary.
    func testEverySizeStartsOnACacheLine() {
        for count in [0, 1, 3, 17, 1000, 40_000, 1 << 20, 3_000_001] {
            let pointer = CacheAligned.allocate(Float.self, capacity: count)
            defer { pointer.deallocate() }
            XCTAssertEqual(Int(bitPattern: pointer) % 64, 0, "\(count) floats")
            if count > 0 {      // the whole capacity is writable
                pointer.initialize(repeating: 1, count: count)
                XCTAssertEqual(pointer[count - 1], 1)
            }
            let buffer = CacheAligned.allocateBuffer(Int32.self, capacity: count)
            defer { buffer.deallocate() }
            XCTAssertEqual(buffer.count, count)
            XCTAssertEqual(Int(bitPattern: buffer.baseAddress!) % 64, 0, "\(count) labels")
        }
    }
}
