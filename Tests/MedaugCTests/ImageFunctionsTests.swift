import Foundation
import MedaugImaging
import XCTest

/// medaug_image_* and medaug_volume_read: round trips, agreement with the
/// Swift readers, library-allocated buffers, and every error path.
final class ImageFunctionsTests: XCTestCase {
    func path(_ name: String) -> String { TestModelFiles.folder + "/\(UUID().uuidString)-\(name)" }

    func testWriteAndReadPagesInEachSampleType() throws {
        let lib = try MedaugLibrary.shared()
        let (pages, height, width) = (2, 5, 7)
        let values = (0..<pages * height * width).map { Float($0 % 200) }
        for sampleType: Int32 in [0, 1, 2, 3] {
            let file = path("image-\(sampleType).tif")
            XCTAssertEqual(lib.imageWrite(file, values, pages, height, width, sampleType), Status.ok, lib.message)
            var count = 0
            XCTAssertEqual(lib.imagePageCount(file, &count), Status.ok)
            XCTAssertEqual(count, 2)
            let expectedType: SampleType = [1: .uint8, 2: .uint16][sampleType] ?? .float32
            XCTAssertEqual(try TIFFFile.read(path: file, page: 1).sampleType, expectedType)
            for page in 0..<pages {
                var pixels: UnsafeMutablePointer<Float>?
                var (c, h, w) = (0, 0, 0)
                XCTAssertEqual(lib.imageRead(file, page, &pixels, &c, &h, &w), Status.ok, lib.message)
                XCTAssertEqual([c, h, w], [1, height, width])
                let plane = height * width
                XCTAssertEqual(Array(UnsafeBufferPointer(start: pixels, count: plane)),
                               Array(values[(page * plane)..<((page + 1) * plane)]))
                lib.bufferFree(pixels)
            }
        }
        lib.bufferFree(nil)
    }

    func testImageErrorsLeaveNoFile() throws {
        let lib = try MedaugLibrary.shared()
        let file = path("bad.tif")
        var values = [Float](repeating: 1, count: 12)
        values[4] = 256
        XCTAssertEqual(lib.imageWrite(file, values, 1, 3, 4, 1), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("pixel 4") && lib.message.contains("0...255"), lib.message)
        values[4] = .infinity
        XCTAssertEqual(lib.imageWrite(file, values, 1, 3, 4, 3), Status.invalidArgument)
        XCTAssertEqual(lib.imageWrite(file, values, 1, 3, 4, 9), Status.invalidArgument)
        XCTAssertEqual(lib.imageWrite(file, nil, 1, 3, 4, 0), Status.invalidArgument)
        XCTAssertEqual(lib.imageWrite(nil, values, 1, 3, 4, 0), Status.invalidArgument)
        XCTAssertEqual(lib.imageWrite(file, values, 0, 3, 4, 0), Status.invalidArgument)
        XCTAssertEqual(lib.imageWrite("/nonexistent/folder/x.tif", [Float](repeating: 0, count: 12), 1, 3, 4, 0), Status.ioError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file))

        var pixels: UnsafeMutablePointer<Float>?
        var (c, h, w, count) = (0, 0, 0, 0)
        XCTAssertEqual(lib.imageRead(path("missing.tif"), 0, &pixels, &c, &h, &w), Status.ioError)
        let garbage = TestModelFiles.file("garbage-\(UUID().uuidString).tif", Data("II*\0 not really a tiff".utf8))
        XCTAssertEqual(lib.imagePageCount(garbage, &count), Status.formatError, lib.message)
        XCTAssertEqual(lib.imageRead(garbage, 0, &pixels, &c, &h, &w), Status.formatError)
        XCTAssertNil(pixels)
        let good = path("good.tif")
        XCTAssertEqual(lib.imageWrite(good, [Float](repeating: 0, count: 12), 1, 3, 4, 0), Status.ok)
        XCTAssertEqual(lib.imageRead(good, 1, &pixels, &c, &h, &w), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("1 page"), lib.message)
        XCTAssertEqual(lib.imageRead(good, 0, nil, &c, &h, &w), Status.invalidArgument)
        XCTAssertEqual(lib.imageRead(good, 0, &pixels, nil, &h, &w), Status.invalidArgument)
        XCTAssertEqual(lib.imagePageCount(good, nil), Status.invalidArgument)
    }

    func testVolumeReadMatchesTheSwiftReader() throws {
        let lib = try MedaugLibrary.shared()
        let file = path("volume.nii.gz")
        let d = NIfTIVolume.Dimensions(x: 4, y: 3, z: 5)
        let volume = try NIfTIVolume(dimensions: d, values: (0..<d.voxelCount).map { Float($0) - 7 },
                                     voxelSize: SIMD3(0.5, 1, 2), affine: .scaling(SIMD3(0.5, 1, 2)))
        try NIfTIWriter.write(volume, to: file, as: .int16)
        var voxels: UnsafeMutablePointer<Float>?
        var dims = [Int](repeating: 0, count: 4), size = [Double](repeating: 0, count: 3)
        XCTAssertEqual(lib.volumeRead(file, &voxels, &dims, &size), Status.ok, lib.message)
        XCTAssertEqual(dims, [4, 3, 5, 1])
        XCTAssertEqual(size, [0.5, 1, 2])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: voxels, count: d.voxelCount)), try NIfTIReader.read(path: file).values)
        lib.bufferFree(voxels)
        XCTAssertEqual(lib.volumeRead(file, &voxels, &dims, nil), Status.ok, "voxel_size may be NULL")
        lib.bufferFree(voxels)
        XCTAssertEqual(lib.volumeRead(path("missing.nii"), &voxels, &dims, nil), Status.ioError)
        XCTAssertNil(voxels)
        let garbage = TestModelFiles.file("garbage-\(UUID().uuidString).nii", Data(repeating: 7, count: 400))
        XCTAssertNotEqual(lib.volumeRead(garbage, &voxels, &dims, nil), Status.ok)
        XCTAssertEqual(lib.volumeRead(file, &voxels, nil, nil), Status.invalidArgument)
        XCTAssertEqual(lib.volumeRead(nil, &voxels, &dims, nil), Status.invalidArgument)
    }
}
