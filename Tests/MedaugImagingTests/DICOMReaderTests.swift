import Foundation
import XCTest
@testable import MedaugImaging

final class DICOMReaderTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws { folder = try TIFFFixtures.makeTemporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    /// A series of `count` slices 2 mm apart along z; slice k holds k·100 + i.
    func writeSeries(_ count: Int, into sub: String, series: String = "1.2.3.4.1", skip: Set<Int> = [],
                     names: [Int]? = nil) throws -> String {
        let path = folder + "/" + sub
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let order = names ?? Array((0..<count).reversed())            // file names opposite to positions
        for k in 0..<count where !skip.contains(k) {
            var slice = DICOMFixtures.Slice()
            slice.series = series
            slice.instance = order[k] + 1
            slice.position = (10, 20, 30 + 2 * Double(k))
            slice.intercept = -5
            slice.slope = 2
            slice.pixels = (0..<24).map { Int16(k * 100 + $0) }
            try DICOMFixtures.write(slice, to: path + "/f\(order[k])-\(series.suffix(1))")
        }
        return path
    }

    func testSeriesIsOrderedByPositionRescaledAndPlacedInRAS() throws {
        let path = try writeSeries(4, into: "a")
        let volume = try DICOMReader.read(path: path)
        XCTAssertEqual(volume.dimensions, .init(x: 6, y: 4, z: 4))
        for k in 0..<4 {
            XCTAssertEqual(volume[0, 0, k], Float(2 * (k * 100) - 5))
            XCTAssertEqual(volume[5, 3, k], Float(2 * (k * 100 + 23) - 5))
        }
        XCTAssertEqual(volume.voxelSize, SIMD3(0.75, 0.5, 2))
        // Columns step 0.75 mm along +x (LPS) = −x (RAS); origin (10, 20, 30) LPS = (−10, −20, 30) RAS.
        XCTAssertEqual(volume.affine.elements, [-0.75, 0, 0, -10, 0, -0.5, 0, -20, 0, 0, 2, 30, 0, 0, 0, 1])
        XCTAssertEqual(volume.axisCodes, "LPS")
    }

    func testSeveralSeriesNeedAChoice() throws {
        _ = try writeSeries(3, into: "m", series: "1.2.3.4.1")
        let path = try writeSeries(5, into: "m", series: "1.2.3.4.2")
        let summaries = try DICOMReader.scan(path: path)
        XCTAssertEqual(summaries.map(\.slices), [3, 5])
        XCTAssertThrowsError(try DICOMReader.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("holds 2 DICOM series"), "\(error)")
        }
        XCTAssertEqual(try DICOMReader.read(path: path, series: 2).dimensions.z, 5)
        XCTAssertThrowsError(try DICOMReader.read(path: path, series: 3))
    }

    func testMissingSliceIsReported() throws {
        let path = try writeSeries(6, into: "gap", skip: [2])
        XCTAssertThrowsError(try DICOMReader.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("1 slice missing"), "\(error)")
        }
    }

    func testEveryTruncationIsAnErrorNotACrash() throws {
        let bytes = DICOMFixtures.bytes(DICOMFixtures.Slice())
        let path = folder + "/t.dcm"
        for length in stride(from: 0, to: bytes.count, by: 7) {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try DICOMReader.read(path: path), "length \(length)")
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try DICOMReader.read(path: path).dimensions, .init(x: 6, y: 4, z: 1))
    }

    func testStructureCheckNamesTheElement() throws {
        var bytes = DICOMFixtures.bytes(DICOMFixtures.Slice())
        // Pixel Data is last: its 4-byte length sits 4 bytes before the 48 pixel bytes.
        bytes.replaceSubrange((bytes.count - 52)..<(bytes.count - 48), with: DICOMFixtures.u32(4096))
        let path = folder + "/bogus.dcm"
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DICOMStructure.validate(path: path)) { error in
            XCTAssertTrue("\(error)".contains("(7FE0,0010)") && "\(error)".contains("truncated"), "\(error)")
        }
    }

    func testDeepSequencesAndDeflatedDataAreRefused() throws {
        var nested = Data()
        for _ in 0..<40 { nested += DICOMFixtures.u16(0x0008) + DICOMFixtures.u16(0x1115) + Data("SQ".utf8) + Data([0, 0])
                          + DICOMFixtures.u32(0xFFFF_FFFF) + DICOMFixtures.u16(0xFFFE) + DICOMFixtures.u16(0xE000)
                          + DICOMFixtures.u32(0xFFFF_FFFF) }
        var meta = Data()
        DICOMFixtures.element(&meta, 0x0002, 0x0010, "UI", DICOMFixtures.text("1.2.840.10008.1.2.1", pad: 0))
        let deep = folder + "/deep.dcm"
        try (Data(count: 128) + Data("DICM".utf8) + meta + nested).write(to: URL(fileURLWithPath: deep))
        XCTAssertThrowsError(try DICOMStructure.validate(path: deep)) { error in
            XCTAssertTrue("\(error)".contains("nested deeper"), "\(error)")
        }
        var slice = DICOMFixtures.Slice()
        slice.transferSyntax = "1.2.840.10008.1.2.1.99"
        let deflated = folder + "/dfl.dcm"
        try DICOMFixtures.write(slice, to: deflated)
        XCTAssertThrowsError(try DICOMStructure.validate(path: deflated)) { error in
            guard case ImagingError.unsupported = error else { return XCTFail("\(error)") }
        }
    }

    func testVolumeReaderDispatchesByFormat() throws {
        let path = try writeSeries(2, into: "v")
        XCTAssertEqual(try VolumeReader.read(path: path).dimensions.z, 2)
        let other = folder + "/notes.txt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: other))
        XCTAssertThrowsError(try VolumeReader.read(path: other)) { error in
            guard case ImagingError.unsupported = error else { return XCTFail("\(error)") }
        }
    }
}
