#if canImport(Glibc)
import Glibc
#endif

/// The header's structs, read and written by byte offset (LP64 layout, as
/// C lays them out; bindings/c/abi_layout.c checks the same offsets at
/// compile time against the header).
///
/// Convention: `struct_size` comes first; every field's zero is its
/// default, so the bytes a shorter (older) struct lacks read as defaults,
/// and a longer (newer) struct is accepted when the bytes this version does
/// not know are zero.
struct StructLayout {
    let name: String
    /// Bytes of the struct as of this version.
    let size: Int
    /// Smallest struct_size ever valid (the first version's size).
    let minimumSize: Int

    static let maximumSize = 4096

    static let modelInfo = StructLayout(name: "info", size: 64, minimumSize: 64)
    static let sessionOptions = StructLayout(name: "options", size: 24, minimumSize: 24)
    static let generateOptions = StructLayout(name: "options", size: 24, minimumSize: 24)
    static let segmentOptions = StructLayout(name: "options", size: 16, minimumSize: 16)
    static let augmentOptions = StructLayout(name: "options", size: 32, minimumSize: 32)
    static let expandOptions = StructLayout(name: "options", size: 112, minimumSize: 112)
    static let metricsOptions = StructLayout(name: "options", size: 56, minimumSize: 56)

    /// The caller's struct_size, checked.
    func structSize(at pointer: UnsafeRawPointer) throws -> Int {
        try Arguments.aligned(pointer.assumingMemoryBound(to: Int.self), name, alignment: MemoryLayout<Int>.alignment)
        let declared = pointer.load(as: UInt.self)
        guard declared >= UInt(minimumSize), declared <= UInt(StructLayout.maximumSize) else {
            throw ABIFailure.invalid(
                "\(name)->struct_size is \(declared), expected \(size) (sizeof the struct; initialise it with the header's _INIT macro)")
        }
        return Int(declared)
    }

    /// The caller's options (NULL: all defaults) as this version's bytes.
    func read(_ pointer: UnsafeRawPointer?) throws -> StructBytes {
        var bytes = [UInt8](repeating: 0, count: size)
        guard let pointer else { return StructBytes(bytes: bytes) }
        let declared = try structSize(at: pointer)
        let known = min(declared, size)
        bytes.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: known)) }
        if declared > size {
            let extra = UnsafeRawBufferPointer(start: pointer + size, count: declared - size)
            if let offset = extra.firstIndex(where: { $0 != 0 }) {
                throw ABIFailure(status: Status.unsupported,
                                 message: "\(name) sets byte \(size + offset) of a \(declared)-byte struct; medaug \(Version.string) knows \(size) bytes (built against a newer header?)")
            }
        }
        return StructBytes(bytes: bytes)
    }

    /// Writes this version's fields (bytes after struct_size) into the
    /// caller's struct, up to its struct_size; bytes it does not know are zeroed.
    func write(_ fields: StructBytes, to pointer: UnsafeMutableRawPointer) throws {
        let declared = try structSize(at: UnsafeRawPointer(pointer))
        let header = MemoryLayout<Int>.size
        let known = min(declared, size)
        fields.bytes.withUnsafeBytes { source in
            (pointer + header).copyMemory(from: source.baseAddress! + header, byteCount: known - header)
        }
        if declared > size { (pointer + size).initializeMemory(as: UInt8.self, repeating: 0, count: declared - size) }
    }
}

/// A struct's bytes in this version's layout.
struct StructBytes {
    var bytes: [UInt8]

    func int32(at offset: Int) -> Int32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) } }
    func uint64(at offset: Int) -> UInt64 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) } }
    func double(at offset: Int) -> Double { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Double.self) } }
    /// A pointer field (NULL: nil).
    func pointer(at offset: Int) -> UnsafeRawPointer? { UnsafeRawPointer(bitPattern: UInt(uint64(at: offset))) }

    /// A const char * field as a Swift string (NULL: nil).
    func string(at offset: Int, _ name: String, maxBytes: Int = 1 << 20) throws -> String? {
        guard let pointer = pointer(at: offset) else { return nil }
        let chars = pointer.assumingMemoryBound(to: CChar.self)
        let length = strnlen(chars, maxBytes + 1)
        guard length <= maxBytes else { throw ABIFailure.invalid("\(name) is longer than \(maxBytes) bytes") }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// An int32 32-bit flag field: 0 or 1.
    func flag(at offset: Int, _ name: String) throws -> Bool {
        let value = int32(at: offset)
        guard value == 0 || value == 1 else { throw ABIFailure.invalid("\(name) is \(value), expected 0 or 1") }
        return value == 1
    }

    /// A field that must be zero (reserved for later versions).
    func reserved(at offset: Int, _ name: String) throws {
        guard int32(at: offset) == 0 else { throw ABIFailure.invalid("\(name) is \(int32(at: offset)), must be 0") }
    }

    mutating func set(_ value: Int32, at offset: Int) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: Int32.self) }
    }

    mutating func set(_ value: Int, at offset: Int) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(value), toByteOffset: offset, as: UInt64.self) }
    }
}
