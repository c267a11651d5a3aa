import Foundation
import XCTest
@testable import MedaugImaging

/// Opening, budgets and hostile files: every bad file is refused with a
/// typed error that names it, and libtiff prints nothing.
final class TIFFFileTests: XCTestCase {
    /// Opens and decodes everything; the error, or nil if it all worked.
    private func failure(_ path: String, limits: TIFFLimits = .standard) -> Error? {
        do {
            _ = try TIFFFile.open(path: path, limits: limits).readAll()
            return nil
        } catch {
            return error
        }
    }

    func testHostileFilesAreRefusedWithTheirErrorAndNothingOnStandardError() throws {
        let (folder, manifest) = try TIFFFixtures.load()
        XCTAssertGreaterThanOrEqual(manifest.hostile.count, 14)
        var messages: [String] = []
        let printed = TIFFFixtures.capturingStandardError {
            for entry in manifest.hostile {
                let path = folder + "/" + entry.name
                guard let error = failure(path) else {
                    XCTFail("\(entry.name) was read without error")
                    continue
                }
                let text = "\(error)"
                messages.append(text)
                XCTAssertTrue(entry.expect.contains(TIFFFixtures.caseName(error)), "\(entry.name): \(text)")
                XCTAssertTrue(entry.contains.isEmpty || text.contains(entry.contains), "\(entry.name): '\(text)' lacks '\(entry.contains)'")
                XCTAssertTrue(text.contains(path), "\(entry.name): \(text)")
                XCTAssertFalse(text.contains("\n"), "\(entry.name): \(text)")
            }
        }
        XCTAssertEqual(printed, "", "libtiff wrote to stderr")
        // libtiff's own diagnosis is part of our message.
        XCTAssertTrue(messages.contains { $0.contains("(libtiff: ") }, messages.joined(separator: "\n"))
    }

    func testFilesLibTIFFRepairsAreReadAndKeepItsWarning() throws {
        let (folder, manifest) = try TIFFFixtures.load()
        XCTAssertFalse(manifest.repaired.isEmpty)
        for entry in manifest.repaired {
            let file = try TIFFFile.open(path: folder + "/" + entry.name)
            let want = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + entry.data))
            XCTAssertEqual(TIFFFixtures.bytes(of: try file.read(page: 0).pixels), want, entry.name)
            XCTAssertTrue(file.warnings.contains { $0.contains(entry.warning) }, "\(entry.name): \(file.warnings)")
        }
    }

    func testForgedHugeHeaderIsRefusedByTheBudgetBeforeAllocating() throws {
        let (folder, _) = try TIFFFixtures.load()
        // 100000 × 100000 uint16 = 20 GB if allocated: open reads only headers.
        let file = try TIFFFile.open(path: folder + "/forged_huge.tif")
        XCTAssertEqual(file.pages[0].width, 100_000)
        XCTAssertThrowsError(try file.read(page: 0)) { error in
            XCTAssertEqual(error as? ImagingError, .tooLarge(
                path: folder + "/forged_huge.tif", reason: "page 0 is 100000×100000 pixels, limit 67108864"))
        }
        // With a budget that allows the pixels, the missing data is found before allocating.
        let generous = TIFFLimits(maxPixels: .max, maxBytes: .max)
        XCTAssertThrowsError(try TIFFFile.open(path: folder + "/forged_huge.tif", limits: generous).read(page: 0)) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "malformed", "\(error)")
        }
    }

    func testTruncatedFilesAreRefusedAtEveryCut() throws {
        let (folder, _) = try TIFFFixtures.load()
        let scratch = try TIFFFixtures.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let sources = ["uint16_none_le.tif", "uint8_lzw_be.tif", "rgb16_planar_zlib.tif",
                       "stack_uint16_3pages.tif", "bool_packbits_be.tif", "float32_packbits_le.tif"]
        var cuts = 0
        let printed = try TIFFFixtures.capturingStandardError {
            for name in sources {
                let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
                let size = data.count
                for length in Set([0, 3, 7, 9, 20, 100, size / 4, size / 2, 3 * size / 4, size - 7, size - 1]) {
                    let path = scratch + "/cut-\(length)-" + name
                    try data.prefix(length).write(to: URL(fileURLWithPath: path))
                    let error = failure(path)
                    XCTAssertEqual(error.map(TIFFFixtures.caseName), "malformed", "\(name) cut at \(length)/\(size): \(String(describing: error))")
                    cuts += 1
                }
            }
        }
        XCTAssertEqual(printed, "", "libtiff wrote to stderr")
        XCTAssertGreaterThan(cuts, 50)
    }

    func testLimitsAreConfigurable() throws {
        let (folder, _) = try TIFFFixtures.load()
        let stack = folder + "/stack_uint16_3pages.tif"   // 3 pages of 1 × 17 × 15 uint16 (510 bytes each)
        XCTAssertEqual(failure(stack, limits: TIFFLimits(maxPixels: 17 * 15)).map(TIFFFixtures.caseName), nil)
        XCTAssertEqual(failure(stack, limits: TIFFLimits(maxPixels: 17 * 15 - 1)).map(TIFFFixtures.caseName), "tooLarge")
        // Each page fits 1000 bytes; all three together do not.
        let perPage = TIFFLimits(maxBytes: 1000)
        XCTAssertNoThrow(try TIFFFile.open(path: stack, limits: perPage).read(page: 2))
        XCTAssertThrowsError(try TIFFFile.open(path: stack, limits: perPage).readAll()) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "tooLarge")
            XCTAssertTrue("\(error)".contains("pages 0...1 decode to 1020 bytes, limit 1000"), "\(error)")
        }
        XCTAssertThrowsError(try TIFFFile.open(path: stack, limits: TIFFLimits(maxPages: 2))) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "tooLarge")
        }
        XCTAssertEqual(TIFFLimits.standard.maxPixels, 8192 * 8192)
    }

    func testLibTIFFMessagesStayWithTheirFileAcrossThreads() throws {
        let (folder, _) = try TIFFFixtures.load()
        let results = UnsafeMutableBufferPointer<String>.allocate(capacity: 16)
        results.initialize(repeating: "")
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let name = index.isMultiple(of: 2) ? "corrupt_deflate.tif" : "uint16_zlib_le.tif"
            do {
                let file = try TIFFFile.open(path: folder + "/" + name)
                _ = try file.read(page: 0)
                results[index] = "ok " + file.warnings.joined()
            } catch {
                results[index] = "\(error)"
            }
        }
        for (index, result) in results.enumerated() {
            if index.isMultiple(of: 2) {
                XCTAssertTrue(result.contains("ZIPDecode"), result)
            } else {
                XCTAssertEqual(result, "ok ")
            }
        }
    }

    func testMissingFileAndFolderAreIOErrors() throws {
        XCTAssertThrowsError(try TIFFFile.open(path: "/nonexistent/medaug/x.tif")) { error in
            XCTAssertEqual(error as? ImagingError,
                           .io(path: "/nonexistent/medaug/x.tif", reason: "No such file or directory"))
        }
        XCTAssertThrowsError(try TIFFFile.open(path: NSTemporaryDirectory())) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "io")
        }
    }

    func testPageInfoWithoutDecoding() throws {
        let (folder, _) = try TIFFFixtures.load()
        let info = try TIFFFile.open(path: folder + "/rgb32f_tiled_planar_be.tif").pages[0]
        XCTAssertEqual(info.width, 19)
        XCTAssertEqual(info.height, 35)
        XCTAssertEqual(info.samplesPerPixel, 3)
        XCTAssertEqual(info.sampleType, .float32)
        XCTAssertEqual(info.planarConfiguration, .separate)
        XCTAssertEqual(info.photometric, .rgb)
        XCTAssertEqual(info.byteOrder, .bigEndian)
        XCTAssertTrue(info.isTiled)
        XCTAssertEqual([info.blockWidth, info.blockHeight], [32, 16])
        XCTAssertEqual(info.depth, 1)
    }
}
