import Foundation
import XCTest
@testable import MedaugImaging

/// Files medaug writes must read back identically with medaug and with
/// tifffile, and a failed write must leave nothing behind.
final class TIFFWriterTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = try TIFFFixtures.makeTemporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Deterministic values covering each type's range.
    private func image(_ type: SampleType, channels: Int, height: Int, width: Int, seed: Int) throws -> TIFFImage {
        let count = channels * height * width
        let indices = (0..<count).map { ($0 * 7919 + seed * 104_729) }
        let pixels: PixelData
        switch type {
        case .uint8: pixels = .uint8(indices.map { UInt8(truncatingIfNeeded: $0) })
        case .uint16: pixels = .uint16(indices.map { UInt16(truncatingIfNeeded: $0 * 31) })
        case .float32: pixels = .float32(indices.map { Float($0 % 2003) * 0.37 - 300 } + [])
        case .int16: pixels = .int16(indices.map { Int16(truncatingIfNeeded: $0) })
        default: fatalError("not used")
        }
        return try TIFFImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    private var cases: [(name: String, images: [TIFFImage], compression: TIFFWriteCompression)] {
        get throws {
            [
                ("gray8.tif", [try image(.uint8, channels: 1, height: 23, width: 37, seed: 1)], .none),
                ("gray16_deflate.tif", [try image(.uint16, channels: 1, height: 301, width: 257, seed: 2)], .deflate),
                ("rgb8_deflate.tif", [try image(.uint8, channels: 3, height: 19, width: 33, seed: 3)], .deflate),
                ("rgb16.tif", [try image(.uint16, channels: 3, height: 9, width: 5, seed: 4)], .none),
                ("float5.tif", [try image(.float32, channels: 5, height: 13, width: 11, seed: 5)], .none),
                ("float2_deflate.tif", [try image(.float32, channels: 2, height: 17, width: 29, seed: 6)], .deflate),
                ("pages_deflate.tif", [
                    try image(.uint16, channels: 1, height: 7, width: 9, seed: 7),
                    try image(.float32, channels: 3, height: 5, width: 3, seed: 8),
                    try image(.uint8, channels: 2, height: 1, width: 1, seed: 9),
                ], .deflate),
            ]
        }
    }

    func testRoundTripThroughMedaugAndTifffile() throws {
        var manifestFiles: [String] = []
        for (name, images, compression) in try cases {
            let path = folder + "/" + name
            try TIFFWriter.write(images: images, to: path, compression: compression)
            let file = try TIFFFile.open(path: path)
            XCTAssertEqual(try file.readAll(), images, name)
            XCTAssertEqual(Set(file.pages.map(\.compression)), [compression == .deflate ? .adobeDeflate : .none], name)
            XCTAssertEqual(file.warnings, [], name)
            var pages: [String] = []
            for (index, image) in images.enumerated() {
                let data = "\(name).p\(index).bin"
                try TIFFFixtures.bytes(of: image.pixels).write(to: URL(fileURLWithPath: folder + "/" + data))
                pages.append("{\"shape\": \(image.shape), \"dtype\": \"\(image.sampleType.rawValue)\", \"data\": \"\(data)\"}")
            }
            manifestFiles.append("{\"path\": \"\(name)\", \"compression\": \"\(compression.rawValue)\", \"pages\": [\(pages.joined(separator: ", "))]}")
        }
        try TIFFFixtures.requirePython()
        let manifest = folder + "/check.json"
        try ("{\"files\": [" + manifestFiles.joined(separator: ", ") + "]}").write(toFile: manifest, atomically: false, encoding: .utf8)
        let (status, output) = runPython([TIFFFixtures.script, "check", manifest])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("ok: 7 files match"), output)
    }

    func testRGBIsInterleavedAndOtherChannelCountsArePlanar() throws {
        let rgb = try image(.uint8, channels: 3, height: 4, width: 5, seed: 1)
        let two = try image(.uint16, channels: 2, height: 4, width: 5, seed: 1)
        try TIFFWriter.write(images: [rgb, two], to: folder + "/layout.tif")
        let pages = try TIFFFile.open(path: folder + "/layout.tif").pages
        XCTAssertEqual(pages.map(\.photometric), [.rgb, .minIsBlack])
        XCTAssertEqual(pages.map(\.planarConfiguration), [.contiguous, .separate])
    }

    func testWritingIntoAMissingFolderFailsAndCreatesNothing() throws {
        let path = folder + "/missing/out.tif"
        XCTAssertThrowsError(try TIFFWriter.write(image: try image(.uint8, channels: 1, height: 2, width: 2, seed: 0), to: path)) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "io")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }

    func testAFailedRenameRemovesTheTemporaryFile() throws {
        // The destination is a non-empty folder: every page is written, then rename(2) fails.
        let path = folder + "/occupied.tif"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try TIFFWriter.write(image: try image(.uint16, channels: 1, height: 64, width: 64, seed: 0), to: path)) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "io")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["occupied.tif"])
    }

    func testReplacesAnExistingFile() throws {
        let path = folder + "/replace.tif"
        let first = try image(.uint8, channels: 1, height: 3, width: 3, seed: 1)
        let second = try image(.float32, channels: 1, height: 8, width: 2, seed: 2)
        try TIFFWriter.write(image: first, to: path)
        try TIFFWriter.write(image: second, to: path, compression: .deflate)
        XCTAssertEqual(try TIFFFile.read(path: path), second)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["replace.tif"])
    }

    func testRefusesWhatItDoesNotWrite() throws {
        let path = folder + "/refused.tif"
        XCTAssertThrowsError(try TIFFWriter.write(images: [], to: path)) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "invalidArgument")
        }
        XCTAssertThrowsError(try TIFFWriter.write(image: try image(.int16, channels: 1, height: 2, width: 2, seed: 0), to: path)) { error in
            XCTAssertEqual(TIFFFixtures.caseName(error), "invalidArgument")
            XCTAssertTrue("\(error)".contains("int16"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
