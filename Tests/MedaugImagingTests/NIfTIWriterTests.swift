import Foundation
import MedaugImaging
import XCTest

/// Writer round trips, read back by medaug's reader and by nibabel
/// (make_nifti.py --check), and its refusals.
final class NIfTIWriterTests: XCTestCase {
    private let dims = NIfTIVolume.Dimensions(x: 7, y: 9, z: 5)

    private func permutedAffine() throws -> NIfTIVolume.Affine {
        try NIfTIVolume.Affine(rowMajor: [0, 0, -2.5, 30, -1.5, 0, 0, 40, 0, 2, 0, -20])
    }

    /// Values that fit `datatype` exactly, covering its range ends.
    private func values(for datatype: NIfTIDatatype) -> [Float] {
        let n = dims.voxelCount
        switch datatype {
        case .uint8: return (0..<n).map { Float($0 % 256) }
        case .int16: return (0..<n).map { Float($0 * 211 % 65536 - 32768) }
        case .uint16: return (0..<n).map { Float($0 * 211 % 65536) }
        default: return (0..<n).map { Float($0) * 0.37 - 50.125 }
        }
    }

    func testRoundTripsThroughOurReaderAndNibabel() throws {
        let folder = try NIfTIFixtures.scratchFolder(for: self)
        var nibabelChecks: [String] = []
        for datatype in NIfTIDatatype.allCases where datatype.isWritable {
            for ext in [".nii", ".nii.gz"] {
                let volume = try NIfTIVolume(dimensions: dims, values: values(for: datatype),
                                             voxelSize: SIMD3(1.5, 2, 2.5), affine: try permutedAffine(),
                                             affineSource: .sform(code: 4))
                let path = folder.appendingPathComponent("out_\(datatype.name)\(ext)").path
                try NIfTIWriter.write(volume, to: path, as: datatype)

                let back = try NIfTIReader.read(path: path)
                XCTAssertEqual(back.values, volume.values, "\(path)")
                XCTAssertEqual(back.datatype, datatype)
                XCTAssertEqual(back.dimensions, dims)
                XCTAssertEqual(back.affine, volume.affine, "\(path)")
                XCTAssertEqual(back.affineSource, .sform(code: 4))
                XCTAssertEqual(back.axisCodes, "PSL")
                XCTAssertEqual(back.voxelSize, SIMD3(1.5, 2, 2.5))
                nibabelChecks += [path, try expectation(for: volume, datatype: datatype, folder: folder)]
            }
        }
        guard runPython(["-c", "import nibabel"]).0 == 0 else {
            throw XCTSkip("nibabel missing: written files were checked by medaug's reader only")
        }
        // One python process for all files (nibabel's import dominates the time).
        let (status, output) = runPython([NIfTIFixtures.script, "--check"] + nibabelChecks)
        XCTAssertEqual(status, 0, "nibabel disagrees: \(output)")
        XCTAssertEqual(output.components(separatedBy: ": ok\n").count - 1, nibabelChecks.count / 2, output)
    }

    /// The JSON that make_nifti.py --check compares nibabel's reading with:
    /// shape, dtype, affine, zooms, values and axis codes.
    private func expectation(for volume: NIfTIVolume, datatype: NIfTIDatatype, folder: URL) throws -> String {
        let valuesFile = folder.appendingPathComponent(UUID().uuidString + ".f64")
        try NIfTIFixtures.writeFloat64s(volume.values.map(Double.init), to: valuesFile)
        let expectation: [String: Any] = [
            "shape": [dims.x, dims.y, dims.z], "datatype": datatype.name,
            "affine": (0..<4).map { r in (0..<4).map { volume.affine[r, $0] } },
            "zooms": [1.5, 2, 2.5], "values_file": valuesFile.path, "axcodes": "PSL",
        ]
        let json = folder.appendingPathComponent(UUID().uuidString + ".json")
        try JSONSerialization.data(withJSONObject: expectation).write(to: json)
        return json.path
    }

    func testShearedAffineIsKeptInTheSform() throws {
        let folder = try NIfTIFixtures.scratchFolder(for: self)
        let sheared = try NIfTIVolume.Affine(rowMajor: [1.4, 0.2, 0, 1, -0.1, 1.9, 0.3, 2, 0, -0.2, 2.4, 3])
        let volume = try NIfTIVolume(dimensions: dims, values: values(for: .float32), voxelSize: SIMD3(1, 1, 1),
                                     affine: sheared)
        let path = folder.appendingPathComponent("sheared.nii").path
        try NIfTIWriter.write(volume, to: path, as: .float32)
        let back = try NIfTIReader.read(path: path)
        for r in 0..<4 {
            for c in 0..<4 { assertClose(back.affine[r, c], sheared[r, c], relative: 1e-7, absolute: 1e-7, "[\(r)][\(c)]") }
        }
        XCTAssertEqual(back.affineSource, .sform(code: 2))
    }

    func testOverwriteIsAtomicAndLeavesNoTemporaryFiles() throws {
        let folder = try NIfTIFixtures.scratchFolder(for: self)
        let path = folder.appendingPathComponent("labels.nii.gz").path
        let first = try NIfTIVolume(dimensions: dims, values: values(for: .uint8), voxelSize: SIMD3(1, 1, 1),
                                    affine: .scaling(SIMD3(1, 1, 1)))
        try NIfTIWriter.write(first, to: path, as: .uint8)
        // A refused write leaves the previous file as it was.
        var bad = values(for: .uint8)
        bad[5] = 256
        let refused = try NIfTIVolume(dimensions: dims, values: bad, voxelSize: SIMD3(1, 1, 1), affine: .scaling(SIMD3(1, 1, 1)))
        XCTAssertThrowsError(try NIfTIWriter.write(refused, to: path, as: .uint8)) { error in
            XCTAssertTrue("\(error)".contains("voxel (5, 0, 0) is 256.0, which uint8 cannot hold"), "\(error)")
        }
        XCTAssertEqual(try NIfTIReader.read(path: path).values, first.values)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["labels.nii.gz"])
    }

    func testRefusals() throws {
        let folder = try NIfTIFixtures.scratchFolder(for: self)
        let identity = NIfTIVolume.Affine.scaling(SIMD3(1, 1, 1))
        let fourD = try NIfTIVolume(dimensions: .init(x: 2, y: 2, z: 2, t: 2), values: [Float](repeating: 0, count: 16),
                                    voxelSize: SIMD3(1, 1, 1), affine: identity)
        var halves = values(for: .uint16)
        halves[3] = 0.5
        let fractional = try NIfTIVolume(dimensions: dims, values: halves, voxelSize: SIMD3(1, 1, 1), affine: identity)
        let plain = try NIfTIVolume(dimensions: dims, values: values(for: .uint8), voxelSize: SIMD3(1, 1, 1), affine: identity)
        let cases: [(NIfTIVolume, String, NIfTIDatatype)] = [
            (fourD, "a.nii", .uint8), (fractional, "b.nii", .uint16), (plain, "c.nii", .int32),
            (plain, "d.img", .uint8), (plain, "e.nii", .float64),
        ]
        for (volume, name, datatype) in cases {
            XCTAssertThrowsError(try NIfTIWriter.write(volume, to: folder.appendingPathComponent(name).path, as: datatype), name) { error in
                guard case ImagingError.invalidArgument? = error as? ImagingError else { return XCTFail("\(name): \(error)") }
            }
        }
        let missing = folder.appendingPathComponent("no/such/dir/x.nii").path
        XCTAssertThrowsError(try NIfTIWriter.write(plain, to: missing, as: .uint8)) { error in
            guard case ImagingError.io(let path, _)? = error as? ImagingError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing, "the error names the target, not the temporary file")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
        // 4-D volumes (class probabilities) are written as float32 and read back whole.
        let sequence = try NIfTIVolume(dimensions: .init(x: 2, y: 2, z: 2, t: 3), values: (0..<24).map(Float.init),
                                       voxelSize: SIMD3(1, 1, 1), affine: identity)
        let path = folder.appendingPathComponent("p.nii.gz").path
        try NIfTIWriter.write(sequence, to: path, as: .float32)
        let back = try NIfTIReader.read(path: path)
        XCTAssertEqual(back.dimensions, sequence.dimensions)
        XCTAssertEqual(back.values, sequence.values)
    }
}
