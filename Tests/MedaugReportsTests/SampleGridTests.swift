import Foundation
import XCTest
import MedaugImaging
@testable import MedaugReports

final class SampleGridTests: XCTestCase {
    func testTilesAreColouredEnlargedAndPlacedInRows() throws {
        var grid = try SampleGrid(columns: 2, side: 2, minimumTileSide: 4)
        XCTAssertEqual(grid.scale, 2)
        try grid.addRow([.labels([0, 1, 2, 11]), .image([-1, 1, 0, .nan], range: -1...1)])
        let (width, height) = grid.size
        XCTAssertEqual([width, height], [2 * 4 + 3 * 4, 4 + 2 * 4])
        let pixels = grid.rgbPixels()
        func rgb(_ x: Int, _ y: Int) -> [UInt8] { Array(pixels[((y * width) + x) * 3..<((y * width) + x) * 3 + 3]) }
        XCTAssertEqual(rgb(0, 0), [40, 40, 40], "the gap")
        XCTAssertEqual(rgb(4, 4), [0, 0, 0], "class 0 black")
        XCTAssertEqual(rgb(5, 5), [0, 0, 0], "enlarged by 2")
        XCTAssertEqual(rgb(6, 4), [31, 119, 180], "class 1")
        XCTAssertEqual(rgb(4, 6), [255, 127, 14], "class 2")
        XCTAssertEqual(rgb(6, 6), [0, 0, 0], "class 11 wraps to the palette's start")
        XCTAssertEqual(rgb(12, 4), [0, 0, 0], "-1 is black")
        XCTAssertEqual(rgb(14, 4), [255, 255, 255], "1 is white")
        XCTAssertEqual(rgb(12, 6), [128, 128, 128], "0 is mid gray")
        XCTAssertEqual(rgb(14, 6), [255, 0, 0], "NaN is red")
    }

    func testOverlaysBlendClassColoursOverTheImage() throws {
        var grid = try SampleGrid(columns: 1, side: 2, minimumTileSide: 2)
        try grid.addRow([.overlay([1, 1, -1, -1], range: -1...1, labels: [0, 1, 0, 2])])
        let pixels = grid.rgbPixels(), width = grid.size.width
        func rgb(_ x: Int, _ y: Int) -> [UInt8] { Array(pixels[((y * width) + x) * 3..<((y * width) + x) * 3 + 3]) }
        XCTAssertEqual(rgb(4, 4), [255, 255, 255], "class 0: the image")
        let overWhite: [UInt8] = [143, 187, 217], overBlack: [UInt8] = [127, 63, 7]   // (255 + c) / 2, c / 2
        XCTAssertEqual(rgb(5, 4), overWhite, "class 1 over white")
        XCTAssertEqual(rgb(5, 5), overBlack, "class 2 over black")
        XCTAssertThrowsError(try grid.addRow([.overlay([0, 0, 0, 0], range: 0...1, labels: [0])]))
    }

    func testMismatchedRowsAreRefused() throws {
        var grid = try SampleGrid(columns: 2, side: 2)
        XCTAssertThrowsError(try grid.addRow([.labels([0, 0, 0, 0])]))
        XCTAssertThrowsError(try grid.addRow([.labels([0, 0, 0]), .labels([0, 0, 0, 0])]))
        XCTAssertThrowsError(try SampleGrid(columns: 0, side: 2))
    }

    func testPNGFilesAreWrittenAtomicallyAndBadSizesRefused() throws {
        let path = NSTemporaryDirectory() + "medaug-grid-\(getpid())-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var grid = try SampleGrid(columns: 1, side: 3)
        try grid.addRow([.image([Float](repeating: 0, count: 9), range: 0...1)])
        try grid.writePNG(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        XCTAssertThrowsError(try PNGWriter.encode([0, 0], width: 1, height: 1, format: .rgb))
        XCTAssertThrowsError(try PNGWriter.encode([], width: 0, height: 1, format: .gray))
        XCTAssertThrowsError(try PNGWriter.write([0], width: 1, height: 1, format: .gray, to: "/nonexistent/x.png"))
    }
}
