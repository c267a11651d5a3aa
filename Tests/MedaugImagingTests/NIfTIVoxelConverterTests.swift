@testable import MedaugImaging
import XCTest

/// Raw bytes to `Float`: both byte orders of every type, scaling computed in
/// `Double` and rounded once, and the documented precision limits.
final class NIfTIVoxelConverterTests: XCTestCase {
    private func convert(_ bytes: [UInt8], _ type: NIfTIDatatype, bigEndian: Bool = false,
                         slope: Double = 1, intercept: Double = 0) -> [Float] {
        let converter = NIfTIVoxelConverter(datatype: type, bigEndian: bigEndian, slope: slope, intercept: intercept)
        let count = bytes.count / type.bytesPerVoxel
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { converter.convert($0, into: out) }
            initialized = count
        }
    }

    private func bytes<T: FixedWidthInteger>(_ values: [T], bigEndian: Bool) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { Array($0) } }
    }

    func testEveryIntegerTypeInBothByteOrders() {
        for big in [false, true] {
            XCTAssertEqual(convert(bytes([UInt8(0), 255], bigEndian: big), .uint8, bigEndian: big), [0, 255])
            XCTAssertEqual(convert(bytes([Int8.min, Int8.max], bigEndian: big), .int8, bigEndian: big), [-128, 127])
            XCTAssertEqual(convert(bytes([Int16.min, -1, Int16.max], bigEndian: big), .int16, bigEndian: big), [-32768, -1, 32767])
            XCTAssertEqual(convert(bytes([UInt16(0), 65535], bigEndian: big), .uint16, bigEndian: big), [0, 65535])
            XCTAssertEqual(convert(bytes([Int32(-16_777_216), 16_777_216], bigEndian: big), .int32, bigEndian: big),
                           [-16_777_216, 16_777_216])
            XCTAssertEqual(convert(bytes([UInt32(16_777_216)], bigEndian: big), .uint32, bigEndian: big), [16_777_216])
            XCTAssertEqual(convert(bytes([Int64(-5), 1 << 40], bigEndian: big), .int64, bigEndian: big), [-5, 0x1p40])
            XCTAssertEqual(convert(bytes([UInt64(7)], bigEndian: big), .uint64, bigEndian: big), [7])
        }
    }

    func testFloatsKeepNaNAndRoundFloat64Once() {
        for big in [false, true] {
            let f32 = bytes([Float(1.5).bitPattern, Float.nan.bitPattern, Float(-0.0).bitPattern], bigEndian: big)
            let out = convert(f32, .float32, bigEndian: big)
            XCTAssertEqual(out[0], 1.5)
            XCTAssertTrue(out[1].isNaN, "NaN voxels are kept (nifticlib's loader would zero them)")
            XCTAssertEqual(out[2].sign, .minus)
            let f64 = bytes([(0.1 as Double).bitPattern], bigEndian: big)
            XCTAssertEqual(convert(f64, .float64, bigEndian: big), [Float(0.1)])
        }
    }

    func testScalingIsComputedInDoubleThenRounded() {
        // 3 × 0.1 + 0.2 in Double is 0.5000000000000001: one rounding gives 0.5.
        XCTAssertEqual(convert([3], .uint8, slope: 0.1, intercept: 0.2), [0.5])
        XCTAssertEqual(convert(bytes([Int16(-2)], bigEndian: true), .int16, bigEndian: true, slope: 0.5, intercept: -10), [-11])
    }

    func testInt32BeyondTwoToThe24RoundsToNearestFloat() {
        // 2^24 + 1 is not a Float: documented as rounded (to 2^24, ties to even).
        XCTAssertEqual(convert(bytes([Int32(16_777_217)], bigEndian: false), .int32), [16_777_216])
    }
}
