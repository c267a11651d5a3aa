import Foundation

/// A structural check of a DICOM file's bytes, run before GDCM sees them.
///
/// Why: Debian's GDCM is built with assertions, and some malformed files
/// (a file cut inside its meta header, say) end in `abort()`, which would
/// take the host process down. This walk proves that every element, item
/// and fragment lies inside the file and that nesting ends, so GDCM is only
/// given files whose framing is sound. It reads no values except the
/// transfer syntax UID.
///
/// Encodings: the file meta group is explicit VR little endian; the data
/// set follows its transfer syntax (implicit VR little endian, explicit VR
/// big endian, or explicit VR little endian for every other, compressed
/// ones included). Deflated data sets are refused: their framing cannot be
/// checked without inflating them.
public enum DICOMStructure {
    static let implicitLittleEndian = "1.2.840.10008.1.2"
    static let explicitBigEndian = "1.2.840.10008.1.2.2"
    static let deflatedLittleEndian = "1.2.840.10008.1.2.1.99"
    /// Deeper nesting than any real IOD uses; bounds the recursion.
    static let maxDepth = 32

    /// Throws `ImagingError.malformed` naming the offset and element of the
    /// first problem, `.unsupported` for a deflated data set.
    public static func validate(path: String) throws {
        // 4 GiB: DICOM's 32-bit lengths cannot frame more.
        let data = try FileBytes.read(path: path, maxBytes: 1 << 32)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var walker = Walker(bytes: raw, path: path)
            try walker.run()
        }
    }

    private struct Encoding { var explicitVR: Bool; var bigEndian: Bool }

    private struct Walker {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var offset = 0

        init(bytes: UnsafeRawBufferPointer, path: String) { (self.bytes, self.path) = (bytes, path) }

        func fail(_ reason: String) -> ImagingError {
            .malformed(path: path, reason: "DICOM structure: \(reason)")
        }

        mutating func run() throws {
            let hasPreamble = bytes.count >= 132 && bytes[128] == 0x44 && bytes[129] == 0x49
                && bytes[130] == 0x43 && bytes[131] == 0x4D                      // "DICM"
            offset = hasPreamble ? 132 : 0
            var syntax = ""
            if hasPreamble || (bytes.count >= 2 && bytes[0] == 0x02 && bytes[1] == 0x00) {
                syntax = try metaGroup()
            }
            let encoding: Encoding
            switch syntax {
            case DICOMStructure.deflatedLittleEndian:
                throw ImagingError.unsupported(path: path, reason: "deflated transfer syntax (\(syntax))")
            case DICOMStructure.implicitLittleEndian: encoding = Encoding(explicitVR: false, bigEndian: false)
            case DICOMStructure.explicitBigEndian: encoding = Encoding(explicitVR: true, bigEndian: true)
            case "": encoding = Encoding(explicitVR: looksExplicit(at: offset), bigEndian: false)   // no meta group
            default: encoding = Encoding(explicitVR: true, bigEndian: false)
            }
            guard offset < bytes.count else { throw fail("no data set after the file meta information") }
            try dataSet(until: bytes.count, encoding: encoding, depth: 0, delimited: false)
        }

        /// The (0002,xxxx) group, explicit VR little endian; returns the transfer syntax UID.
        mutating func metaGroup() throws -> String {
            var syntax = ""
            let le = Encoding(explicitVR: true, bigEndian: false)
            while offset + 8 <= bytes.count, u16(offset, bigEndian: false) == 0x0002 {
                let start = offset
                let (tag, _, length) = try header(le)
                guard let length else { throw fail("undefined length in the file meta information at offset \(start)") }
                guard offset + length <= bytes.count else {
                    throw fail("element \(hex(tag)) at offset \(start) states \(length) bytes, \(bytes.count - offset) remain (truncated)")
                }
                if tag == 0x0002_0010 {
                    let value = bytes[offset..<offset + length]
                    syntax = String(decoding: value, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
                }
                offset += length
            }
            return syntax
        }

        /// Elements up to `end`, or up to an item delimiter when `delimited`.
        mutating func dataSet(until end: Int, encoding: Encoding, depth: Int, delimited: Bool) throws {
            guard depth <= DICOMStructure.maxDepth else { throw fail("sequences nested deeper than \(DICOMStructure.maxDepth) at offset \(offset)") }
            while offset < end {
                let start = offset
                let (tag, vr, length) = try header(encoding)
                if tag == 0xFFFE_E00D {                      // item delimiter
                    guard delimited else { throw fail("item delimiter outside an item at offset \(start)") }
                    return
                }
                guard tag >> 16 != 0xFFFE else { throw fail("unexpected item tag \(hex(tag)) at offset \(start)") }
                if let length {
                    guard offset + length <= end else {
                        throw fail("element \(hex(tag)) at offset \(start) states \(length) bytes, \(end - offset) remain (truncated)")
                    }
                    if vr == "SQ" {
                        try sequence(until: offset + length, encoding: encoding, depth: depth + 1)
                    } else {
                        offset += length
                    }
                } else if tag == 0x7FE0_0010 {
                    try fragments(encoding)
                } else {
                    // Undefined length: a sequence (an implicit-VR or UN one
                    // is encoded implicit VR little endian, DICOM CP-246).
                    let nested = (vr == "SQ") ? encoding : Encoding(explicitVR: false, bigEndian: false)
                    try sequence(until: nil, encoding: nested, depth: depth + 1)
                }
            }
            guard !delimited else { throw fail("item without its delimiter (truncated)") }
            guard offset == end else { throw fail("element overruns its container at offset \(offset)") }
        }

        /// Items up to `end`, or up to the sequence delimiter when `end` is nil.
        mutating func sequence(until end: Int?, encoding: Encoding, depth: Int) throws {
            while end.map({ offset < $0 }) ?? true {
                let start = offset
                guard offset + 8 <= (end ?? bytes.count) else { throw fail("sequence cut at offset \(start) (truncated)") }
                let tag = tagAt(offset, encoding.bigEndian)
                let length = Int(u32(offset + 4, bigEndian: encoding.bigEndian))
                offset += 8
                if tag == 0xFFFE_E0DD {                      // sequence delimiter
                    guard end == nil else { throw fail("sequence delimiter in a sequence of defined length at offset \(start)") }
                    return
                }
                guard tag == 0xFFFE_E000 else { throw fail("expected an item at offset \(start), found \(hex(tag))") }
                if length == 0xFFFF_FFFF {
                    try dataSet(until: end ?? bytes.count, encoding: encoding, depth: depth, delimited: true)
                } else {
                    let itemEnd = offset + length
                    guard itemEnd <= (end ?? bytes.count) else { throw fail("item at offset \(start) states \(length) bytes past its sequence (truncated)") }
                    try dataSet(until: itemEnd, encoding: encoding, depth: depth, delimited: false)
                }
            }
            guard let end, offset == end else { throw fail("sequence without its delimiter (truncated)") }
        }

        /// Encapsulated Pixel Data: an offset table and fragments, each an item of defined length.
        mutating func fragments(_ encoding: Encoding) throws {
            while true {
                let start = offset
                guard offset + 8 <= bytes.count else { throw fail("encapsulated pixel data cut at offset \(start) (truncated)") }
                let tag = tagAt(offset, encoding.bigEndian)
                let length = Int(u32(offset + 4, bigEndian: encoding.bigEndian))
                offset += 8
                if tag == 0xFFFE_E0DD { return }
                guard tag == 0xFFFE_E000, length != 0xFFFF_FFFF else { throw fail("bad pixel data fragment \(hex(tag)) at offset \(start)") }
                guard offset + length <= bytes.count else {
                    throw fail("pixel data fragment at offset \(start) states \(length) bytes, \(bytes.count - offset) remain (truncated)")
                }
                offset += length
            }
        }

        /// Reads a tag, VR (explicit) and length; nil length = undefined.
        mutating func header(_ encoding: Encoding) throws -> (tag: UInt32, vr: String, length: Int?) {
            let start = offset
            guard offset + 8 <= bytes.count else { throw fail("element header cut at offset \(start) (truncated)") }
            let tag = tagAt(offset, encoding.bigEndian)
            if tag >> 16 == 0xFFFE {                       // items and delimiters have no VR
                let length = u32(offset + 4, bigEndian: encoding.bigEndian)
                offset += 8
                return (tag, "", length == 0xFFFF_FFFF ? nil : Int(length))
            }
            guard encoding.explicitVR else {
                let length = u32(offset + 4, bigEndian: encoding.bigEndian)
                offset += 8
                return (tag, "", length == 0xFFFF_FFFF ? nil : Int(length))
            }
            let a = bytes[offset + 4], b = bytes[offset + 5]
            guard (0x41...0x5A).contains(a), (0x41...0x5A).contains(b) else {
                throw fail("element \(hex(tag)) at offset \(start) has no valid VR (bytes \(a), \(b))")
            }
            let vr = String(decoding: [a, b], as: UTF8.self)
            if ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"].contains(vr) {
                guard offset + 12 <= bytes.count else { throw fail("element header cut at offset \(start) (truncated)") }
                let length = u32(offset + 8, bigEndian: encoding.bigEndian)
                offset += 12
                return (tag, vr, length == 0xFFFF_FFFF ? nil : Int(length))
            }
            let length = Int(u16(offset + 6, bigEndian: encoding.bigEndian))
            offset += 8
            return (tag, vr, length)
        }

        /// Without a meta group: explicit VR if the bytes after the first tag are a VR.
        func looksExplicit(at position: Int) -> Bool {
            guard position + 6 <= bytes.count else { return false }
            return (0x41...0x5A).contains(bytes[position + 4]) && (0x41...0x5A).contains(bytes[position + 5])
        }

        func tagAt(_ position: Int, _ bigEndian: Bool) -> UInt32 {
            UInt32(u16(position, bigEndian: bigEndian)) << 16 | UInt32(u16(position + 2, bigEndian: bigEndian))
        }

        func u16(_ position: Int, bigEndian: Bool) -> UInt16 {
            let a = UInt16(bytes[position]), b = UInt16(bytes[position + 1])
            return bigEndian ? a << 8 | b : b << 8 | a
        }

        func u32(_ position: Int, bigEndian: Bool) -> UInt32 {
            let lo = UInt32(u16(position, bigEndian: bigEndian)), hi = UInt32(u16(position + 2, bigEndian: bigEndian))
            return bigEndian ? lo << 16 | hi : hi << 16 | lo
        }

        func hex(_ tag: UInt32) -> String {
            String(format: "(%04X,%04X)", tag >> 16, tag & 0xFFFF)
        }
    }
}
