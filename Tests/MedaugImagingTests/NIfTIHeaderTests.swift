import Foundation
import MedaugImaging
import XCTest

/// Hostile files: each gives the `ImagingError` case the fixture script
/// names, with a message naming the problem, and never a crash, a hang or
/// an allocation the size of what the header claims.
final class NIfTIHeaderTests: XCTestCase {
    func testEveryHostileFixtureThrowsItsErrorKind() throws {
        let (folder, manifest) = try NIfTIFixtures.load()
        XCTAssertGreaterThanOrEqual(manifest.hostile.count, 28)
        for (name, kind) in manifest.hostile.sorted(by: { $0.key < $1.key }) {
            let path = folder.appendingPathComponent(name).path
            XCTAssertThrowsError(try NIfTIReader.read(path: path), name) { error in
                guard let error = error as? ImagingError else { return XCTFail("\(name): \(error) is not an ImagingError") }
                XCTAssertEqual(Self.kind(of: error), kind, "\(name): \(error)")
                XCTAssertTrue(error.description.contains(path), "\(name): message does not name the file: \(error)")
            }
        }
    }

    /// The messages say what was expected and what was found.
    func testMessagesNameTheField() throws {
        let (folder, _) = try NIfTIFixtures.load()
        let expectations = [
            "negative_dim.nii": "dim[2] is -9",
            "bad_sizeof_hdr.nii": "sizeof_hdr is 1234, expected 348",
            "bad_bitpix.nii": "bitpix is 8, but datatype int16 has 16 bits",
            "bad_datatype.nii": "datatype code 999",
            "vox_offset_past_end.nii": "but the file has",
            "vox_offset_nan.nii": "vox_offset is nan",
            "overflow_dims.nii": "overflows a 64-bit voxel count",
            "huge_dims.nii": "limit 268435456",
            "huge_dims_gz.nii.gz": "1032:1",
            "truncated_data.nii": "data needs bytes 352..<982 (vox_offset + 7×9×5×1 × 2 bytes), but the file has 667 bytes",
            "truncated_gzip.nii.gz": "the gzip stream ends early",
            "truncated_gzip_trailer.nii.gz": "ends before its CRC trailer",
            "truncated_header.nii": "the 348-byte header is truncated: 200 of 348 bytes",
            "not_gzip.nii.gz": "not gzip-compressed",
            "five_dims.nii": "dim[5] is 5",
            "nifti2_sizeof_hdr.nii": "NIfTI-2",
            "bad_intercept.nii": "scl_inter is inf",
            "nan_sform.nii": "sform(code: 2) affine [[nan",
            "singular_sform.nii": "is singular",
        ]
        for (name, fragment) in expectations.sorted(by: { $0.key < $1.key }) {
            XCTAssertThrowsError(try NIfTIReader.read(path: folder.appendingPathComponent(name).path), name) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(name): '\(error)' lacks '\(fragment)'")
            }
        }
    }

    /// A corrupt deflate stream or CRC is a zlib error that znzread returns
    /// as (size_t)-1: it must be an error, not a huge successful read.
    func testCorruptGzipIsAnError() throws {
        let (folder, _) = try NIfTIFixtures.load()
        for name in ["corrupt_gzip.nii.gz", "bad_crc.nii.gz"] {
            XCTAssertThrowsError(try NIfTIReader.read(path: folder.appendingPathComponent(name).path)) { error in
                XCTAssertTrue("\(error)".contains("the gzip stream is corrupt"), "\(name): \(error)")
            }
        }
    }

    private static func kind(of error: ImagingError) -> String {
        switch error {
        case .io: return "io"
        case .malformed: return "malformed"
        case .unsupported: return "unsupported"
        case .tooLarge: return "tooLarge"
        case .invalidArgument: return "invalidArgument"
        }
    }
}
