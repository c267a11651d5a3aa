import Foundation
import XCTest
@testable import MedaugImaging

/// Every variant tifffile writes (sample types, compressions, byte orders,
/// strips and tiles, planar layouts, pages, odd sizes) must decode to
/// exactly the bytes tifffile reads from the same file.
final class TIFFReaderTests: XCTestCase {
    func testEveryVariantMatchesTifffileBitForBit() throws {
        let (folder, manifest) = try TIFFFixtures.load()
        XCTAssertGreaterThan(manifest.valid.count, 80)
        var checked = 0
        for entry in manifest.valid {
            let path = folder + "/" + entry.name
            let file: TIFFFile
            let images: [TIFFImage]
            do {
                file = try TIFFFile.open(path: path)
                images = try file.readAll()
            } catch {
                XCTFail("\(entry.name): \(error)")
                continue
            }
            XCTAssertEqual(file.byteOrder.rawValue, entry.byteorder, entry.name)
            XCTAssertEqual(images.count, entry.pages.count, entry.name)
            XCTAssertEqual(file.warnings, [], entry.name)
            for (index, (image, expected)) in zip(images, entry.pages).enumerated() {
                let label = "\(entry.name) page \(index)"
                XCTAssertEqual(image.shape, expected.shape, label)
                XCTAssertEqual(image.sampleType.rawValue, expected.dtype, label)
                let want = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + expected.data))
                let got = TIFFFixtures.bytes(of: image.pixels)
                if got != want {
                    let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
                    XCTFail("\(label): \(got.count) bytes, expected \(want.count); first difference at byte \(first)")
                }
                let info = file.pages[index]
                XCTAssertEqual(info.compression.code, expected.compression, label)
                XCTAssertEqual(info.planarConfiguration.description, expected.planar, label)
                XCTAssertEqual(info.isTiled, expected.tiled, label)
                XCTAssertEqual(info.photometric, TIFFPhotometric(code: expected.photometric), label)
                XCTAssertEqual(info.predictor, expected.predictor, label)
                XCTAssertEqual(info.bitsPerSample, expected.bits, label)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 85)
    }

    func testCoverageOfTheSpecVariants() throws {
        let (_, manifest) = try TIFFFixtures.load()
        let pages = manifest.valid.flatMap { entry in entry.pages.map { (entry, $0) } }
        for dtype in ["bool", "uint8", "uint16", "int16", "int32", "float32", "float64"] {
            XCTAssertTrue(pages.contains { $0.1.dtype == dtype }, dtype)
        }
        // none, LZW, both Deflates, PackBits, CCITT RLE/G3/G4, JPEG, LZMA, ZSTD, WebP.
        for code in [1, 5, 8, 32946, 32773, 2, 3, 4, 7, 34925, 50000, 50001] {
            XCTAssertTrue(pages.contains { $0.1.compression == code }, "compression \(code)")
        }
        XCTAssertTrue(pages.contains { $0.1.compression == 7 && $0.1.photometric == 6 && $0.1.tiled }, "tiled YCbCr JPEG")
        XCTAssertTrue(pages.contains { $0.1.tiled && $0.1.planar == "separate" })
        XCTAssertTrue(pages.contains { $0.1.shape[0] == 3 && $0.1.planar == "contiguous" })
        XCTAssertTrue(pages.contains { $0.0.byteorder == "big" && $0.1.tiled })
        XCTAssertTrue(pages.contains { $0.1.predictor == 3 })
        XCTAssertTrue(manifest.valid.contains { $0.pages.count == 3 })
    }

    func testChosenPageOfAMultiPageFile() throws {
        let (folder, _) = try TIFFFixtures.load()
        let file = try TIFFFile.open(path: folder + "/mixed_pages.tif")
        XCTAssertEqual(file.pages.map(\.sampleType), [.uint8, .float32, .bool])
        // Out of order on purpose: libtiff must seek back as well as forward.
        let third = try file.read(page: 2)
        let second = try file.read(page: 1)
        let first = try file.read(page: 0)
        XCTAssertEqual(first.shape, [1, 5, 7])
        XCTAssertEqual(second.shape, [3, 9, 3])
        XCTAssertEqual(third.shape, [1, 4, 9])
        XCTAssertEqual(try file.readAll(), [first, second, third])
        XCTAssertEqual(try TIFFFile.read(path: folder + "/mixed_pages.tif", page: 1), second)
        XCTAssertThrowsError(try file.read(page: 3)) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "invalidArgument")
            XCTAssertTrue("\(error)".contains("has 3 pages"), "\(error)")
        }
        XCTAssertThrowsError(try file.read(page: -1))
    }

    func testLibTIFFSplitsOneLargeUncompressedStripWithoutChangingValues() throws {
        let (folder, manifest) = try TIFFFixtures.load()
        let file = try TIFFFile.open(path: folder + "/single_strip_uint16.tif")
        // libtiff presents one 180 KB strip as ~8 KB virtual strips.
        XCTAssertLessThan(file.pages[0].blockHeight, 301)
        let expected = try XCTUnwrap(manifest.valid.first { $0.name == "single_strip_uint16.tif" }?.pages[0])
        let want = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + expected.data))
        XCTAssertEqual(TIFFFixtures.bytes(of: try file.read(page: 0).pixels), want)
    }

    func testBilevelValuesAreStoredBitsNotInverted() throws {
        let (folder, _) = try TIFFFixtures.load()
        let file = try TIFFFile.open(path: folder + "/bool_miniswhite.tif")
        XCTAssertEqual(file.pages[0].photometric, .minIsWhite)
        let image = try file.read(page: 0)
        XCTAssertEqual(image.sampleType, .bool)
        // Stored 1 stays 1 (and becomes 1.0), whatever the photometric says.
        guard case .bool(let bits) = image.pixels else { return XCTFail("not bool") }
        XCTAssertEqual(image.floatValues(), bits.map { $0 ? 1 : 0 })
    }
}
