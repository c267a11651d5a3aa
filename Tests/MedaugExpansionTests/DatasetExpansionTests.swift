import Foundation
import XCTest
import MedaugImaging
@testable import MedaugExpansion

final class DatasetExpansionTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "medaug-expand-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.writeInput(to: folder + "/in")
    }

    /// Three real train pairs (the second without a lesion) and one val pair.
    static func writeInput(to path: String) throws {
        let intensity = DatasetManifest.IntensityMapping(stored: "uint16", storedRange: [0, 1000])
        try DatasetWriter.write(to: path, overwrite: false) { temporary in
            var manifest = DatasetManifest(classes: ["bg", "t1", "t2", "core", "rim"], labelValues: [0, 1, 2, 7, 8],
                                           channels: ["T1"], spacingMM: [1, 1], intensity: intensity)
            let centres: [(Int, Int)?] = [(12, 20), nil, (22, 14), (20, 20)]
            for (i, centre) in centres.enumerated() {
                let item = DatasetManifest.Item(id: "s\(i)", split: i == 3 ? .val : .train, synthetic: false, source: [:])
                let mask = Phantom.map(lesionAt: centre)
                try DatasetWriter.writePair(image: mask.map { Float($0) / 8 - 0.5 }, channels: 1, labels: mask, side: 40,
                                            item: item, intensity: intensity, folder: temporary)
                manifest.items.append(item)
            }
            return manifest
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    static func options() -> ExpansionOptions {
        var options = ExpansionOptions(target: 9)
        options.editValues = [7, 8]
        options.seed = 2
        return options
    }

    func testWritesACompleteFlaggedFolderWithValidationKeptReal() throws {
        let expander = try Expander(generator: ExpanderTests.generator, options: Self.options())
        let manifest = try expander.expandDataset(input: folder + "/in", output: folder + "/out")
        XCTAssertEqual(try DatasetManifest.read(folder: folder + "/out"), manifest)
        let train = manifest.items.filter { $0.split == .train }
        XCTAssertEqual(train.count, 9)
        XCTAssertEqual(train.filter { !$0.synthetic }.map(\.id), ["s0", "s1", "s2"])
        XCTAssertEqual(manifest.items.filter { $0.split == .val }.map(\.id), ["s3"])
        for item in train where item.synthetic {
            XCTAssertNotNil(item.source["origin"])
            XCTAssertNotNil(item.source["from"])
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/out/" + item.image))
            XCTAssertEqual(try TIFFFile.read(path: folder + "/out/" + item.mask).width, 40)
        }
        // Existing output is refused unless overwriting.
        XCTAssertThrowsError(try expander.expandDataset(input: folder + "/in", output: folder + "/out"))
        // The expanded folder loads as the expander's input again (its real pairs).
        XCTAssertEqual(try DatasetPairs.load(folder: folder + "/out").pairs.count, 3)
    }

    func testCancellationAndErrorsLeaveNothingBehind() throws {
        let expander = try Expander(generator: ExpanderTests.generator, options: Self.options())
        XCTAssertThrowsError(try expander.expandDataset(input: folder + "/in", output: folder + "/out") { done, _ in done < 2 }) { error in
            XCTAssertEqual(error as? ExpansionError, .cancelled)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["in"], "no partial folder")
        XCTAssertThrowsError(try expander.expandDataset(input: folder + "/missing", output: folder + "/out")) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["in"])
    }
}
