import MedaugImaging
import XCTest

/// Volumes made in memory: argument checks and axis codes.
final class NIfTIVolumeTests: XCTestCase {
    func testAxisCodesComeFromTheAffine() throws {
        let values = [Float](repeating: 0, count: 24)
        let dims = NIfTIVolume.Dimensions(x: 2, y: 3, z: 4)
        let cases: [([Double], String)] = [
            ([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], "RAS"),
            ([-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0], "LPS"),
            ([0, 0, -2.5, 30, -1.5, 0, 0, 40, 0, 2, 0, -20], "PSL"),
            ([1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0], "RIA"),
        ]
        for (matrix, codes) in cases {
            let volume = try NIfTIVolume(dimensions: dims, values: values, voxelSize: SIMD3(1, 1, 1),
                                         affine: try NIfTIVolume.Affine(rowMajor: matrix))
            XCTAssertEqual(volume.axisCodes, codes, "\(matrix)")
        }
    }

    func testInvalidVolumesAreRejected() throws {
        let dims = NIfTIVolume.Dimensions(x: 2, y: 2, z: 2)
        let eight = [Float](repeating: 1, count: 8)
        let identity = NIfTIVolume.Affine.scaling(SIMD3(1, 1, 1))
        let singular = try NIfTIVolume.Affine(rowMajor: [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0])
        let attempts: [(String, () throws -> NIfTIVolume)] = [
            ("count", { try NIfTIVolume(dimensions: dims, values: [1], voxelSize: SIMD3(1, 1, 1), affine: identity) }),
            ("zero dim", { try NIfTIVolume(dimensions: .init(x: 0, y: 2, z: 2), values: [], voxelSize: SIMD3(1, 1, 1), affine: identity) }),
            ("voxel size", { try NIfTIVolume(dimensions: dims, values: eight, voxelSize: SIMD3(1, 0, 1), affine: identity) }),
            ("singular", { try NIfTIVolume(dimensions: dims, values: eight, voxelSize: SIMD3(1, 1, 1), affine: singular) }),
            ("nan affine", { try NIfTIVolume(dimensions: dims, values: eight, voxelSize: SIMD3(1, 1, 1),
                                             affine: .scaling(SIMD3(1, .nan, 1))) }),
        ]
        for (name, attempt) in attempts {
            XCTAssertThrowsError(try attempt(), name) { error in
                guard case ImagingError.invalidArgument? = error as? ImagingError else { return XCTFail("\(name): \(error)") }
            }
        }
    }
}
