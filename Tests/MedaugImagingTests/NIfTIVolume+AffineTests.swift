import MedaugImaging
import XCTest

/// The affine value type: construction checks and the helpers.
final class NIfTIVolumeAffineTests: XCTestCase {
    func testAffineHelpers() throws {
        let a = try NIfTIVolume.Affine(rowMajor: [2, 0, 0, -90, 0, 2, 0, -126, 0, 0, 2, -72])
        XCTAssertEqual(a.world(ofVoxel: SIMD3(45, 63, 36)), SIMD3(0, 0, 0))
        XCTAssertEqual(a.columnLengths, SIMD3(2, 2, 2))
        let shift = try NIfTIVolume.Affine(rowMajor: [1, 0, 0, 1, 0, 1, 0, 2, 0, 0, 1, 3])
        XCTAssertEqual(a.concatenating(shift).world(ofVoxel: SIMD3(0, 0, 0)), SIMD3(-88, -122, -66))
    }

    func testConstructionChecks() throws {
        XCTAssertEqual(try NIfTIVolume.Affine(rowMajor: [Double](repeating: 0, count: 12))[3, 3], 1)
        for values in [[1.0, 2, 3], [Double](repeating: 1, count: 16)] {
            XCTAssertThrowsError(try NIfTIVolume.Affine(rowMajor: values)) { error in
                guard case ImagingError.invalidArgument? = error as? ImagingError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(NIfTIVolume.Affine.scaling(SIMD3(1, 2, 3)).description,
                       "[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 1.0]]")
    }
}
