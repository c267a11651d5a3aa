import MedaugImaging
import XCTest

/// Canonical (RAS+) reordering on a volume made in memory: every voxel keeps
/// its world position; grid, voxel size and spacing follow the axes.
final class NIfTIVolumeOrientationTests: XCTestCase {
    private func permutedAffine() throws -> NIfTIVolume.Affine {
        // i -> posterior, j -> superior, k -> left ("PSL"), as in make_nifti.py.
        try NIfTIVolume.Affine(rowMajor: [0, 0, -2.5, 30, -1.5, 0, 0, 40, 0, 2, 0, -20])
    }

    func testCanonicalKeepsEveryVoxelsWorldPosition() throws {
        let dims = NIfTIVolume.Dimensions(x: 3, y: 4, z: 5, t: 2)
        let values = (0..<dims.voxelCount).map(Float.init)
        let volume = try NIfTIVolume(dimensions: dims, values: values, voxelSize: SIMD3(1.5, 2, 2.5),
                                     affine: try permutedAffine())
        XCTAssertEqual(volume.axisCodes, "PSL")
        let canonical = volume.canonical()
        XCTAssertEqual(canonical.dimensions, NIfTIVolume.Dimensions(x: 5, y: 3, z: 4, t: 2))
        XCTAssertEqual(canonical.voxelSize, SIMD3(2.5, 1.5, 2))
        XCTAssertEqual(canonical.axisCodes, "RAS")
        XCTAssertEqual(canonical.canonicalSpacing, SIMD3(2.5, 1.5, 2))
        // Each canonical voxel's world position finds the stored voxel with the same value.
        let inverse = { (p: SIMD3<Double>) -> SIMD3<Int> in
            // stored i from y = 40 - 1.5 i, j from z = -20 + 2 j, k from x = 30 - 2.5 k
            SIMD3(Int(((40 - p.y) / 1.5).rounded()), Int(((p.z + 20) / 2).rounded()), Int(((30 - p.x) / 2.5).rounded()))
        }
        for t in 0..<2 {
            for s in 0..<4 {
                for a in 0..<3 {
                    for r in 0..<5 {
                        let stored = inverse(canonical.affine.world(ofVoxel: SIMD3(Double(r), Double(a), Double(s))))
                        XCTAssertEqual(canonical[r, a, s, t], volume[stored.x, stored.y, stored.z, t], "(\(r), \(a), \(s), \(t))")
                    }
                }
            }
        }
    }
}
