import Foundation
import XCTest
import MedaugImaging
@testable import MedaugExpansion

/// The staged expansion (plan, ranges of steps, finish) against the
/// in-process `expandDataset`: the same bytes however the ranges are cut,
/// ordered or rerun, and nothing published until every step is recorded.
final class StagedExpansionTests: XCTestCase {
    var folder = ""
    var input: String { folder + "/in" }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "medaug-staged-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try DatasetExpansionTests.writeInput(to: input)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func expander() throws -> Expander {
        try Expander(generator: ExpanderTests.generator, options: DatasetExpansionTests.options())
    }

    /// Every file under `path`, relative, with its bytes.
    func contents(of path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isFolder), !isFolder.boolValue {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
            }
        }
        return files
    }

    func staging(_ name: String) throws -> String {
        let path = folder + "/." + name + ".staging"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    func testThePlanIsTheOneExpandDatasetFollows() throws {
        let plan = try Expander.planDataset(input: input, options: DatasetExpansionTests.options())
        XCTAssertEqual(plan.realPairs, 3)
        XCTAssertEqual(plan.steps, try planExpansion(realCount: 3, options: DatasetExpansionTests.options()))
        let json = try JSONSerialization.jsonObject(with: Data(plan.jsonString().utf8)) as? [String: Any]
        let steps = try XCTUnwrap(json?["steps"] as? [[String: Any]])
        XCTAssertEqual(json?["target"] as? Int, 9)
        XCTAssertEqual(steps.count, 6)
        XCTAssertEqual(steps[4]["index"] as? Int, 4)
        XCTAssertEqual(steps[4]["seed"] as? String, String(plan.steps[4].seed), "seeds keep all 64 bits as strings")
        XCTAssertEqual(steps[4]["recipe"] as? String, plan.steps[4].recipe.rawValue)
    }

    func testRangesInAnyOrderAndRerunGiveTheInProcessBytes() throws {
        try expander().expandDataset(input: input, output: folder + "/reference")
        let stage = try staging("staged")
        // Out of order, one range written twice (a retry), and a temporary
        // file left by a writer killed mid-file.
        for range in [4..<6, 0..<1, 1..<4, 4..<6] {
            try expander().writeSteps(range, input: input, staging: stage)
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: stage + "/images/.generated-03.tif.partial",
                                                     contents: Data([1, 2])))
        let manifest = try Expander.finishDataset(input: input, staging: stage, output: folder + "/staged",
                                                  options: DatasetExpansionTests.options())
        XCTAssertEqual(manifest, try DatasetManifest.read(folder: folder + "/reference"))
        XCTAssertEqual(try contents(of: folder + "/staged"), try contents(of: folder + "/reference"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stage), "the staging folder became the output")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["in", "reference", "staged"])
    }

    func testFinishRefusesMissingOrOverlappingRangesAndKeepsWhatIsDone() throws {
        let stage = try staging("gap")
        try expander().writeSteps(0..<2, input: input, staging: stage)
        try expander().writeSteps(4..<6, input: input, staging: stage)
        XCTAssertThrowsError(try Expander.finishDataset(input: input, staging: stage, output: folder + "/out",
                                                        options: DatasetExpansionTests.options())) { error in
            XCTAssertTrue("\(error)".contains("steps 2..<4 of 6"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
        // The missing range, then the finish again: complete.
        try expander().writeSteps(2..<4, input: input, staging: stage)
        try expander().writeSteps(1..<3, input: input, staging: stage)
        XCTAssertThrowsError(try Expander.finishDataset(input: input, staging: stage, output: folder + "/out",
                                                        options: DatasetExpansionTests.options())) { error in
            XCTAssertTrue("\(error)".contains("overlap"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: stage + "/.steps/1-3.json")
        try Expander.finishDataset(input: input, staging: stage, output: folder + "/out", options: DatasetExpansionTests.options())
        XCTAssertEqual(try DatasetManifest.read(folder: folder + "/out").items.filter(\.synthetic).count, 6)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out/.steps"), "no bookkeeping in the output")
        // An existing output is refused unless overwriting.
        let again = try staging("again")
        try expander().writeSteps(0..<6, input: input, staging: again)
        XCTAssertThrowsError(try Expander.finishDataset(input: input, staging: again, output: folder + "/out",
                                                        options: DatasetExpansionTests.options()))
        try Expander.finishDataset(input: input, staging: again, output: folder + "/out",
                                   options: DatasetExpansionTests.options(), overwrite: true)
    }

    func testBadRangesStagingAndCancellation() throws {
        let stage = try staging("bad")
        for range in [5..<7, 3..<3] {
            XCTAssertThrowsError(try expander().writeSteps(range, input: input, staging: stage)) { error in
                XCTAssertTrue("\(error)".contains("0..<6"), "\(error)")
            }
        }
        XCTAssertThrowsError(try expander().writeSteps(0..<1, input: input, staging: folder + "/nowhere")) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
        XCTAssertThrowsError(try expander().writeSteps(0..<3, input: input, staging: stage) { done, total in
            XCTAssertEqual(total, 3)
            return done < 2
        }) { error in
            XCTAssertEqual(error as? ExpansionError, .cancelled)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: stage + "/.steps"), [], "a cancelled range is not recorded")
    }
}
