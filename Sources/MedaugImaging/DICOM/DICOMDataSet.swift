import CDICOM
import Foundation

/// A DICOM data set as GDCM frames it (`mdcm_read_dataset`): elements by
/// tag, with raw value bytes, and sequences of nested data sets. The
/// annotation readers (`DICOMSegmentation`) interpret it; nothing here knows
/// what an element means beyond its encoding.
package struct DICOMDataSet {
    typealias Value = DICOMValue
    struct Element {
        var vr: String
        var value: DICOMValue
    }

    private(set) var elements: [UInt32: Element] = [:]

    /// Reads `path` (framing checked by `DICOMStructure` before GDCM sees it).
    ///
    /// - Throws: `ImagingError.malformed`, `.tooLarge`, `.io`.
    static func read(path: String, maxBytes: Int) throws -> DICOMDataSet {
        try withStream(path: path, maxBytes: maxBytes) { try parse($0, path: path) }
    }

    /// The records `mdcm_read_dataset` makes of `path`, copied (the
    /// annotation fuzz target's seeds are such streams).
    package static func stream(path: String, maxBytes: Int) throws -> [UInt8] {
        try withStream(path: path, maxBytes: maxBytes) { Array($0) }
    }

    /// The data set of a record stream (`stream`'s format).
    ///
    /// - Throws: `ImagingError.malformed` for a stream that ends early, nests
    ///   too deep or carries records past its data set.
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> DICOMDataSet {
        var parser = Parser(bytes: bytes, path: path)
        let dataSet = try parser.dataSet(depth: 0)
        guard parser.offset == bytes.count else { throw parser.fail("records after the data set") }
        return dataSet
    }

    /// Runs `body` on GDCM's record stream of `path`, made in the forked
    /// decoder process (framing checked by `DICOMStructure` first).
    private static func withStream<T>(path: String, maxBytes: Int,
                                      _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
        try DICOMStructure.validate(path: path)
        var stream: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = mdcm_read_dataset(path, UInt64(maxBytes), &stream, &size, &message, message.count)
        defer { mdcm_dataset_free(stream) }
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(status) {
        case Int(MDCM_OK.rawValue): break
        case Int(MDCM_ERROR_TOO_LARGE.rawValue): throw ImagingError.tooLarge(path: path, reason: reason)
        default: throw ImagingError.malformed(path: path, reason: reason)
        }
        return try body(UnsafeBufferPointer(start: stream, count: size))
    }

    /// The records of `mdcm_read_dataset` back into a tree.
    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let path: String
        var offset = 0

        func fail(_ reason: String) -> ImagingError { .malformed(path: path, reason: "GDCM data set stream: \(reason)") }

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw fail("ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u32() throws -> UInt32 {
            guard offset + 4 <= bytes.count else { throw fail("ends early") }
            defer { offset += 4 }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
        }

        /// Elements until an item end ('i') or the end of the stream.
        mutating func dataSet(depth: Int) throws -> DICOMDataSet {
            var set = DICOMDataSet()
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "i") {
                switch try byte() {
                case UInt8(ascii: "E"):
                    let tag = try u32()
                    guard offset + 2 <= bytes.count else { throw fail("ends early") }
                    let vr = String(decoding: bytes[offset..<offset + 2], as: UTF8.self)
                    offset += 2
                    let length = try u32()
                    if length == 0xFFFF_FFFF {
                        set.elements[tag] = Element(vr: vr, value: .encapsulated)
                        continue
                    }
                    guard Int(length) <= bytes.count - offset else { throw fail("a value runs past the end") }
                    set.elements[tag] = Element(vr: vr, value: .bytes(Array(bytes[offset..<offset + Int(length)])))
                    offset += Int(length)
                case UInt8(ascii: "S"):
                    let tag = try u32()
                    guard depth < 32 else { throw fail("sequences nested too deep") }
                    var items: [DICOMDataSet] = []
                    while true {
                        let marker = try byte()
                        if marker == UInt8(ascii: "s") { break }
                        guard marker == UInt8(ascii: "I") else { throw fail("expected an item") }
                        items.append(try dataSet(depth: depth + 1))
                        guard try byte() == UInt8(ascii: "i") else { throw fail("an item does not end") }
                    }
                    set.elements[tag] = Element(vr: "SQ", value: .sequence(items))
                default:
                    throw fail("unknown record at offset \(offset - 1)")
                }
            }
            return set
        }
    }

    // MARK: - Values

    func contains(_ tag: UInt32) -> Bool { elements[tag] != nil }

    /// The raw value bytes, nil when absent or not a plain value.
    func bytes(_ tag: UInt32) -> [UInt8]? {
        if case .bytes(let b)? = elements[tag]?.value { return b }
        return nil
    }

    /// The items of a sequence (empty when absent).
    func items(_ tag: UInt32) -> [DICOMDataSet] {
        if case .sequence(let items)? = elements[tag]?.value { return items }
        return []
    }

    /// The first item of a sequence, if any.
    func item(_ tag: UInt32) -> DICOMDataSet? { items(tag).first }

    /// A text value's components (split at `\`), trimmed of DICOM's space
    /// and NUL padding.
    func strings(_ tag: UInt32) -> [String]? {
        guard let b = bytes(tag) else { return nil }
        return String(decoding: b, as: UTF8.self).split(separator: "\\", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: DICOMDataSet.padding)
        }
    }

    func string(_ tag: UInt32) -> String? { strings(tag)?.first }

    /// DICOM pads text values with spaces (and UIDs with NUL).
    private static let padding = CharacterSet(charactersIn: " \0")

    /// Decimal strings (DS) or floating values (FL, FD) as numbers; nil if
    /// absent, unparseable or not finite (binary FD and FL can hold NaN and
    /// infinities, as `Double("nan")` parses a DS, and no position, spacing
    /// or contour point may be one).
    func doubles(_ tag: UInt32) -> [Double]? {
        guard let entry = elements[tag], case .bytes(let b) = entry.value else { return nil }
        let values: [Double]
        switch entry.vr {
        case "FD":
            guard b.count % 8 == 0 else { return nil }
            values = stride(from: 0, to: b.count, by: 8).map { readDouble(b, $0) }
        case "FL":
            guard b.count % 4 == 0 else { return nil }
            values = stride(from: 0, to: b.count, by: 4).map { Double(Float(bitPattern: readU32(b, $0))) }
        default:
            guard let parsed = Self.decimalStrings(b) else { return nil }
            values = parsed
        }
        return values.allSatisfy(\.isFinite) ? values : nil
    }

    /// A DS value's numbers, split at `\` and trimmed as `strings` does, but
    /// parsed one at a time: an RT Structure Set's contour data can be tens
    /// of megabytes. Measured on 5 M numbers (43 MB, `swiftc -O`): splitting
    /// into Strings first peaked 305 MB above the input, this 66 MB.
    private static func decimalStrings(_ b: [UInt8]) -> [Double]? {
        var values: [Double] = []
        var start = 0
        while start <= b.count {
            var end = start
            while end < b.count, b[end] != UInt8(ascii: "\\") { end += 1 }
            var (low, high) = (start, end)
            while low < high, b[low] == 0x20 || b[low] == 0 { low += 1 }
            while high > low, b[high - 1] == 0x20 || b[high - 1] == 0 { high -= 1 }
            guard let value = Double(String(decoding: b[low..<high], as: UTF8.self)) else { return nil }
            values.append(value)
            start = end + 1
        }
        return values
    }

    /// An integer value: IS, or binary US/SS/UL/SL (little endian).
    func int(_ tag: UInt32) -> Int? {
        guard let entry = elements[tag], case .bytes(let b) = entry.value else { return nil }
        switch entry.vr {
        case "US": return b.count >= 2 ? Int(UInt16(b[0]) | UInt16(b[1]) << 8) : nil
        case "SS": return b.count >= 2 ? Int(Int16(bitPattern: UInt16(b[0]) | UInt16(b[1]) << 8)) : nil
        case "UL": return b.count >= 4 ? Int(readU32(b, 0)) : nil
        case "SL": return b.count >= 4 ? Int(Int32(bitPattern: readU32(b, 0))) : nil
        default: return string(tag).flatMap { Int($0) }
        }
    }

    private func readU32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * $1) }
    }

    private func readDouble(_ b: [UInt8], _ at: Int) -> Double {
        Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * $1) })
    }
}

/// A value of `DICOMDataSet`.
enum DICOMValue {
    case bytes([UInt8])
    /// Compressed Pixel Data (not included by GDCM's dump).
    case encapsulated
    case sequence([DICOMDataSet])
}
