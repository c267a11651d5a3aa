import Foundation
import MedaugImaging
import XCTest

/// Slices in the documented convention: against numpy slicing of nibabel's
/// canonical image for every fixture (whatever its storage order), and on a
/// hand-made volume whose values encode their world position.
final class NIfTIVolumeSliceTests: XCTestCase {
    func testSlicesMatchNumpyOnNibabelCanonicalData() throws {
        let (folder, manifest) = try NIfTIFixtures.load()
        for (name, expected) in manifest.valid.sorted(by: { $0.key < $1.key }) {
            let volume = try NIfTIReader.read(path: folder.appendingPathComponent(name).path)
            let zooms = expected.canonical.zooms
            for plane in NIfTIVolume.Plane.allCases {
                let file = try XCTUnwrap(expected.slices[plane.rawValue], name)
                let image = try volume.slice(plane, index: file.index)
                XCTAssertEqual([image.rows, image.columns], [file.rows, file.columns], "\(name) \(plane)")
                let reference = try NIfTIFixtures.float64s(folder.appendingPathComponent(file.file))
                for (i, (got, want)) in zip(image.pixels, reference).enumerated() {
                    assertClose(Double(got), want, relative: 1e-6, "\(name) \(plane) pixel \(i)")
                }
                let spacing: (Double, Double)
                switch plane {
                case .axial: spacing = (zooms[1], zooms[0])
                case .coronal: spacing = (zooms[2], zooms[0])
                case .sagittal: spacing = (zooms[2], zooms[1])
                }
                assertClose(image.spacing.row, spacing.0, "\(name) \(plane) row spacing")
                assertClose(image.spacing.column, spacing.1, "\(name) \(plane) column spacing")
            }
        }
    }

    /// An LPS-stored volume (x to the left, y posterior) whose value at each
    /// voxel is 100·R + 10·A + S in canonical indices, so every pixel says
    /// where it came from.
    private func encodedLPSVolume(t: Int = 1) throws -> NIfTIVolume {
        let (nx, ny, nz) = (4, 3, 2)
        var values: [Float] = []
        for v in 0..<t {
            for k in 0..<nz {
                for j in 0..<ny {
                    for i in 0..<nx {
                        let (r, a, s) = (nx - 1 - i, ny - 1 - j, k)
                        values.append(Float(1000 * v + 100 * r + 10 * a + s))
                    }
                }
            }
        }
        let affine = try NIfTIVolume.Affine(rowMajor: [-2, 0, 0, 10, 0, -3, 0, 20, 0, 0, 4, -5])
        return try NIfTIVolume(dimensions: .init(x: nx, y: ny, z: nz, t: t), values: values,
                               voxelSize: SIMD3(2, 3, 4), affine: affine, timeStep: 1.5)
    }

    func testAxialIsAnteriorAtTopAndPatientRightOnTheLeft() throws {
        let volume = try encodedLPSVolume()
        XCTAssertEqual(volume.axisCodes, "LPS")
        XCTAssertEqual(volume.sliceCount(.axial), 2)
        let axial = try volume.slice(.axial, index: 1)
        XCTAssertEqual([axial.rows, axial.columns], [3, 4])
        XCTAssertEqual(axial[0, 0], 321)        // top-left: most anterior (A=2), most right (R=3), S=1
        XCTAssertEqual(axial[2, 3], 1)          // bottom-right: posterior, left
        XCTAssertEqual(axial.spacing.row, 3)
        XCTAssertEqual(axial.spacing.column, 2)
    }

    func testCoronalAndSagittalAreSuperiorAtTop() throws {
        let volume = try encodedLPSVolume()
        let coronal = try volume.slice(.coronal, index: 0)   // most posterior
        XCTAssertEqual([coronal.rows, coronal.columns], [2, 4])
        XCTAssertEqual(coronal.pixels, [301, 201, 101, 1, 300, 200, 100, 0])
        XCTAssertEqual(coronal.spacing.row, 4)
        let sagittal = try volume.slice(.sagittal, index: 3)   // most right
        XCTAssertEqual([sagittal.rows, sagittal.columns], [2, 3])
        XCTAssertEqual(sagittal.pixels, [321, 311, 301, 320, 310, 300])   // anterior on the left
        XCTAssertEqual(sagittal.spacing.row, 4)
        XCTAssertEqual(sagittal.spacing.column, 3)
    }

    func testFourDimensionalSlicesPickTheVolume() throws {
        let volume = try encodedLPSVolume(t: 3)
        let third = try volume.slice(.axial, index: 0, volume: 2)
        XCTAssertEqual(third[0, 0], 2320)
    }

    func testOutOfRangeSlicesThrow() throws {
        let volume = try encodedLPSVolume(t: 2)
        for (plane, index, t) in [(NIfTIVolume.Plane.axial, 2, 0), (.sagittal, -1, 0), (.coronal, 0, 2)] {
            XCTAssertThrowsError(try volume.slice(plane, index: index, volume: t)) { error in
                guard case ImagingError.invalidArgument? = error as? ImagingError else { return XCTFail("\(error)") }
            }
        }
    }
}
