import Foundation

/// Minimal DICOM files written byte by byte (explicit VR little endian,
/// 16-bit signed MR slices), so the Swift tests need no DICOM library; the
/// Python tests check against pydicom and files written by others.
enum DICOMFixtures {
    struct Slice {
        var columns = 6, rows = 4
        var position: (Double, Double, Double) = (0, 0, 0)
        var orientation: [Double] = [1, 0, 0, 0, 1, 0]
        var spacing = (row: 0.5, column: 0.75)
        var series = "1.2.3.4.1"
        var instance = 1
        var slope = 1.0, intercept = 0.0
        var pixels: [Int16] = []
        var transferSyntax = "1.2.840.10008.1.2.1"
    }

    static func write(_ slice: Slice, to path: String) throws {
        try bytes(slice).write(to: URL(fileURLWithPath: path))
    }

    static func bytes(_ s: Slice) -> Data {
        var meta = Data()
        element(&meta, 0x0002, 0x0001, "OB", Data([0, 1]))
        element(&meta, 0x0002, 0x0002, "UI", text("1.2.840.10008.5.1.4.1.1.4", pad: 0))
        element(&meta, 0x0002, 0x0003, "UI", text("1.2.3.4.\(s.instance)", pad: 0))
        element(&meta, 0x0002, 0x0010, "UI", text(s.transferSyntax, pad: 0))
        var body = Data()
        element(&body, 0x0008, 0x0016, "UI", text("1.2.840.10008.5.1.4.1.1.4", pad: 0))
        element(&body, 0x0008, 0x0018, "UI", text("1.2.3.4.\(s.instance)", pad: 0))
        element(&body, 0x0008, 0x0060, "CS", text("MR"))
        element(&body, 0x0020, 0x000E, "UI", text(s.series, pad: 0))
        element(&body, 0x0020, 0x0013, "IS", text("\(s.instance)"))
        element(&body, 0x0020, 0x0032, "DS", text("\(s.position.0)\\\(s.position.1)\\\(s.position.2)"))
        element(&body, 0x0020, 0x0037, "DS", text(s.orientation.map { "\($0)" }.joined(separator: "\\")))
        element(&body, 0x0028, 0x0002, "US", u16(1))
        element(&body, 0x0028, 0x0004, "CS", text("MONOCHROME2"))
        element(&body, 0x0028, 0x0010, "US", u16(s.rows))
        element(&body, 0x0028, 0x0011, "US", u16(s.columns))
        element(&body, 0x0028, 0x0030, "DS", text("\(s.spacing.row)\\\(s.spacing.column)"))
        element(&body, 0x0028, 0x0100, "US", u16(16))
        element(&body, 0x0028, 0x0101, "US", u16(16))
        element(&body, 0x0028, 0x0102, "US", u16(15))
        element(&body, 0x0028, 0x0103, "US", u16(1))
        element(&body, 0x0028, 0x1052, "DS", text("\(s.intercept)"))
        element(&body, 0x0028, 0x1053, "DS", text("\(s.slope)"))
        let pixels = s.pixels.isEmpty ? (0..<(s.rows * s.columns)).map { Int16($0) } : s.pixels
        element(&body, 0x7FE0, 0x0010, "OW", pixels.withUnsafeBytes { Data($0) })
        return Data(count: 128) + Data("DICM".utf8) + meta + body
    }

    static func element(_ data: inout Data, _ group: UInt16, _ number: UInt16, _ vr: String, _ value: Data) {
        data += u16(Int(group)) + u16(Int(number)) + Data(vr.utf8)
        if ["OB", "OW", "SQ", "UN", "UT"].contains(vr) {
            data += Data([0, 0]) + u32(value.count)
        } else {
            data += u16(value.count)
        }
        data += value
    }

    static func text(_ string: String, pad: UInt8 = 0x20) -> Data {
        var data = Data(string.utf8)
        if data.count % 2 == 1 { data.append(pad) }
        return data
    }

    static func u16(_ value: Int) -> Data { withUnsafeBytes(of: UInt16(value).littleEndian) { Data($0) } }
    static func u32(_ value: Int) -> Data { withUnsafeBytes(of: UInt32(value).littleEndian) { Data($0) } }
}
