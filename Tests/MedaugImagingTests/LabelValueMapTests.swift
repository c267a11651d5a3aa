import Foundation
import XCTest
@testable import MedaugImaging

final class LabelValueMapTests: XCTestCase {
    func testClassesAreOrderedFromValueZeroThenBySmallestValueThenStar() throws {
        let map = try LabelValueMap(["7": "kidney", "1": "liver", "0": "background", "6": "kidney", "*": "other"])
        XCTAssertEqual(map.classes, ["background", "liver", "kidney", "other"])
        XCTAssertEqual(map.labelValues, [0, 1, 2, 3])
        XCTAssertEqual(try map.classIndices([0, 1, 6, 7, 3, 40], source: "v"), [0, 1, 2, 2, 3, 3])
        // "*" to background when 0 is not listed: background comes first.
        let star = try LabelValueMap(["*": "background", "5": "lesion", "2": "organ"])
        XCTAssertEqual(star.classes, ["background", "organ", "lesion"])
        XCTAssertEqual(try star.classIndices([0, 2, 5, 9], source: "v"), [0, 1, 2, 0])
        // The entries round-trip (configs record them).
        XCTAssertEqual(try LabelValueMap(map.entries), map)
    }

    func testUnlistedValuesWithoutStarAndBadEntriesAreNamedErrors() throws {
        let map = try LabelValueMap(["0": "background", "1": "organ"])
        XCTAssertThrowsError(try map.classIndices([0, 1, 9], source: "seg.nii.gz")) { error in
            XCTAssertTrue("\(error)".contains("seg.nii.gz: label value 9 at voxel 2 is not in the label map"), "\(error)")
        }
        for (entries, says) in [([String: String](), "no entries"), (["x": "a"], "\"x\" is neither"),
                                (["1": " "], "class name of \"1\" is empty")] {
            XCTAssertThrowsError(try LabelValueMap(entries)) { error in
                XCTAssertTrue("\(error)".contains(says), "\(error)")
            }
        }
    }

    func testFilesAreReadAndHostileOnesRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("labelmap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ text: String) throws -> String {
            let path = folder.appendingPathComponent("\(UUID().uuidString).json").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        XCTAssertEqual(try LabelValueMap(contentsOf: write(#"{"0": "bg", "3": "tumour"}"#)).classes, ["bg", "tumour"])
        for (text, says) in [("[1, 2]", "must be a JSON object"), (#"{"1": 2}"#, "is not a class name"), ("{", "must be a JSON object")] {
            XCTAssertThrowsError(try LabelValueMap(contentsOf: write(text))) { error in
                XCTAssertTrue("\(error)".contains(says), "\(error)")
            }
        }
        XCTAssertThrowsError(try LabelValueMap(contentsOf: folder.appendingPathComponent("missing.json").path))
        XCTAssertThrowsError(try LabelValueMap(contentsOf: folder.path))
    }
}
