@testable import MedaugImaging
import XCTest

/// The znzlib wrapper: gzip data errors and cut-off streams become errors
/// (znzread returns them as (size_t)-1 or a clean-looking short count).
final class NIfTIZNZFileTests: XCTestCase {
    private func gzipFile(_ payload: [UInt8], in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent("p.gz")
        let file = try NIfTIZNZFile(path: url.path, mode: "wb", compressed: true)
        try payload.withUnsafeBytes { try file.write($0) }
        XCTAssertEqual(file.close(), 0)
        return url
    }

    private func readAll(_ url: URL, count: Int) throws {
        let file = try NIfTIZNZFile(path: url.path, mode: "rb", compressed: true)
        var buffer = [UInt8](repeating: 0, count: count)
        try buffer.withUnsafeMutableBytes { try file.readExactly(into: $0, what: "the payload") }
        try file.checkCleanGzipEnd()
    }

    func testWholeStreamReadsCleanly() throws {
        let folder = try NIfTIFixtures.scratchFolder(for: self)
        let url = try gzipFile((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }, in: folder)
        XCTAssertNoThrow(try readAll(url, count: 5000))
        XCTAssertThrowsError(try readAll(url, count: 5001)) { error in
            XCTAssertTrue("\(error)".contains("the payload is truncated: 5000 of 5001 bytes"), "\(error)")
        }
    }

    func testCutTrailerAndBadCRCAreErrors() throws {
        let folder = try NIfTIFixtures.scratchFolder(for: self)
        let url = try gzipFile((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }, in: folder)
        let whole = try Data(contentsOf: url)
        try whole.dropLast(6).write(to: url)
        XCTAssertThrowsError(try readAll(url, count: 5000)) { error in
            XCTAssertTrue("\(error)".contains("ends before its CRC trailer"), "\(error)")
        }
        var badCRC = whole
        badCRC[badCRC.count - 8] ^= 0xFF
        try badCRC.write(to: url)
        XCTAssertThrowsError(try readAll(url, count: 5000)) { error in
            XCTAssertTrue("\(error)".contains("the gzip stream is corrupt"), "\(error)")
        }
    }

    func testOpeningAMissingFileIsAnIOError() {
        XCTAssertThrowsError(try NIfTIZNZFile(path: "/nonexistent/x.nii", mode: "rb", compressed: false)) { error in
            guard case ImagingError.io? = error as? ImagingError else { return XCTFail("\(error)") }
        }
    }
}
