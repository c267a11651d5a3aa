import MedaugImaging
import XCTest

/// The datatype table: NIfTI-1 codes, sizes, names and the writable subset.
final class NIfTIDatatypeTests: XCTestCase {
    func testCodesSizesAndNamesFollowNifti1() {
        let table: [(NIfTIDatatype, Int16, Int, String)] = [
            (.uint8, 2, 1, "uint8"), (.int16, 4, 2, "int16"), (.int32, 8, 4, "int32"),
            (.float32, 16, 4, "float32"), (.float64, 64, 8, "float64"), (.int8, 256, 1, "int8"),
            (.uint16, 512, 2, "uint16"), (.uint32, 768, 4, "uint32"), (.int64, 1024, 8, "int64"),
            (.uint64, 1280, 8, "uint64"),
        ]
        XCTAssertEqual(table.count, NIfTIDatatype.allCases.count)
        for (type, code, bytes, name) in table {
            XCTAssertEqual(type.rawValue, code, name)
            XCTAssertEqual(type.bytesPerVoxel, bytes, name)
            XCTAssertEqual(type.name, name)
            XCTAssertEqual(type.isInteger, !name.hasPrefix("float"), name)
        }
        XCTAssertEqual(NIfTIDatatype.allCases.filter(\.isWritable), [.uint8, .int16, .float32, .uint16])
    }
}
