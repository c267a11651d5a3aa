import Foundation
import MedaugImaging
import XCTest

/// The reader against nibabel: every valid fixture (datatypes, byte orders,
/// scaling, .nii and .nii.gz, 4-D, permuted/flipped/oblique affines, qform
/// only, no codes, header extensions) read by medaug and by nibabel.
///
/// Tolerances: values exact (as `Float`) for unscaled integer and float32
/// data, 1e-6 relative for scaled and float64 data (one float32 rounding);
/// affines 1e-5 relative or absolute (nifticlib builds the qform in float32,
/// nibabel in float64); zooms 1e-6 relative.
final class NIfTIReaderTests: XCTestCase {
    func testEveryValidFixtureMatchesNibabel() throws {
        let (folder, manifest) = try NIfTIFixtures.load()
        XCTAssertGreaterThanOrEqual(manifest.valid.count, 15)
        for (name, expected) in manifest.valid.sorted(by: { $0.key < $1.key }) {
            let volume = try NIfTIReader.read(path: folder.appendingPathComponent(name).path)
            let d = volume.dimensions
            let shape = expected.shape.count == 4 ? [d.x, d.y, d.z, d.t] : [d.x, d.y, d.z]
            XCTAssertEqual(shape, expected.shape, name)
            XCTAssertEqual(volume.datatype.name, expected.datatype, name)
            XCTAssertEqual(volume.axisCodes, expected.axcodes, name)
            for axis in 0..<3 { assertClose(volume.voxelSize[axis], expected.zooms[axis], "\(name) zoom \(axis)") }
            if expected.shape.count == 4 { assertClose(volume.timeStep, expected.zooms[3], "\(name) time step") }
            XCTAssertEqual(volume.scaling, .init(slope: expected.slope, intercept: expected.inter), name)
            assertAffine(volume.affine, expected.affine, name)
            switch volume.affineSource {
            case .sform(let code): XCTAssertEqual(code, expected.sform_code, name)
            case .qform(let code): XCTAssertEqual(code, expected.qform_code, name); XCTAssertEqual(expected.sform_code, 0, name)
            case .pixdim: XCTAssertEqual([expected.sform_code, expected.qform_code], [0, 0], name)
            }
            try assertCanonical(volume, expected, folder: folder, name: name)
        }
    }

    /// nibabel's `as_closest_canonical` data, grid, affine and zooms.
    private func assertCanonical(_ volume: NIfTIVolume, _ expected: NIfTIFixtures.Expected, folder: URL, name: String) throws {
        let canonical = volume.canonical()
        let d = canonical.dimensions
        XCTAssertEqual(Array([d.x, d.y, d.z, d.t].prefix(expected.canonical.shape.count)), expected.canonical.shape, name)
        XCTAssertEqual(canonical.axisCodes, "RAS", name)
        assertAffine(canonical.affine, expected.canonical.affine, "\(name) canonical")
        for axis in 0..<3 {
            assertClose(canonical.canonicalSpacing[axis], expected.canonical.zooms[axis], "\(name) canonical zoom \(axis)")
            assertClose(volume.canonicalSpacing[axis], expected.canonical.zooms[axis], "\(name) canonical spacing \(axis)")
        }
        let reference = try NIfTIFixtures.float64s(folder.appendingPathComponent(expected.canonical.file))
        XCTAssertEqual(reference.count, canonical.values.count, name)
        let exact = expected.slope == 1 && expected.inter == 0 && expected.datatype != "float64"
        var mismatches = 0
        for (i, (got, want)) in zip(canonical.values, reference).enumerated() where mismatches < 3 {
            if exact ? Double(got) != want : abs(Double(got) - want) > 1e-6 * max(abs(want), 1e-30) {
                mismatches += 1
                XCTFail("\(name) canonical value \(i): got \(got), nibabel \(want)")
            }
        }
    }

    private func assertAffine(_ affine: NIfTIVolume.Affine, _ expected: [[Double]], _ name: String) {
        for r in 0..<4 {
            for c in 0..<4 { assertClose(affine[r, c], expected[r][c], relative: 1e-5, absolute: 1e-5, "\(name) affine[\(r)][\(c)]") }
        }
    }

    func testCanonicalOfACanonicalVolumeIsItself() throws {
        let (folder, _) = try NIfTIFixtures.load()
        let volume = try NIfTIReader.read(path: folder.appendingPathComponent("uint8_ras.nii").path)
        XCTAssertEqual(volume.canonical(), volume)
    }

    func testVoxelBudgetIsCheckedBeforeReading() throws {
        let (folder, _) = try NIfTIFixtures.load()
        let path = folder.appendingPathComponent("int16_4d.nii.gz").path
        XCTAssertThrowsError(try NIfTIReader.read(path: path, limits: NIfTILimits(maxVoxels: 7 * 9 * 5 * 3 - 1))) { error in
            guard case ImagingError.tooLarge(let p, let reason)? = error as? ImagingError else {
                return XCTFail("expected tooLarge, got \(error)")
            }
            XCTAssertEqual(p, path)
            XCTAssertTrue(reason.contains("945 voxels, limit 944"), reason)
        }
        XCTAssertNoThrow(try NIfTIReader.read(path: path, limits: NIfTILimits(maxVoxels: 945)))
    }

    func testMissingFileDirectoryAndWrongExtension() throws {
        let folder = try NIfTIFixtures.scratchFolder(for: self)
        let missing = folder.appendingPathComponent("absent.nii").path
        XCTAssertThrowsError(try NIfTIReader.read(path: missing)) { error in
            XCTAssertEqual(error as? ImagingError, .io(path: missing, reason: "No such file or directory"))
        }
        let directory = folder.appendingPathComponent("dir.nii")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        XCTAssertThrowsError(try NIfTIReader.read(path: directory.path)) { error in
            XCTAssertEqual(error as? ImagingError, .io(path: directory.path, reason: "is a folder"))
        }
        XCTAssertThrowsError(try NIfTIReader.read(path: folder.appendingPathComponent("x.hdr").path)) { error in
            guard case ImagingError.unsupported? = error as? ImagingError else { return XCTFail("\(error)") }
        }
    }
}
