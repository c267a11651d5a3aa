import Foundation
import XCTest
@testable import MedaugImaging

final class FileBytesTests: XCTestCase {
    func testReadsWholeFilesAndEnforcesTheCap() throws {
        let folder = try TIFFFixtures.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = folder + "/empty", small = folder + "/small", large = folder + "/large"
        try Data().write(to: URL(fileURLWithPath: empty))
        try Data("hello".utf8).write(to: URL(fileURLWithPath: small))
        try Data(repeating: 7, count: 200_000).write(to: URL(fileURLWithPath: large))
        XCTAssertEqual(try FileBytes.read(path: empty, maxBytes: 10), Data())
        XCTAssertEqual(try FileBytes.read(path: small, maxBytes: 5), Data("hello".utf8))
        XCTAssertEqual(try FileBytes.read(path: large, maxBytes: 200_000).count, 200_000)
        XCTAssertThrowsError(try FileBytes.read(path: small, maxBytes: 4)) { error in
            guard case ImagingError.tooLarge = error else { return XCTFail("\(error)") }
        }
        for path in [folder, folder + "/missing"] {
            XCTAssertThrowsError(try FileBytes.read(path: path, maxBytes: 10)) { error in
                guard case ImagingError.io = error else { return XCTFail("\(error)") }
            }
        }
    }
}
