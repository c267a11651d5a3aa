#if !(arch(x86_64) || arch(arm64))
#error("MedaugC reads the header's structs at LP64 offsets (size_t is 8 bytes)")
#endif

/// Argument checks shared by the exported functions. Each throws an
/// `ABIFailure` naming the argument, what was expected and what was found.
enum Arguments {
    /// A required pointer: not NULL and aligned for its element type.
    static func required<P: _Pointer>(_ pointer: P?, _ name: String, alignment: Int = MemoryLayout<P.Pointee>.alignment) throws -> P {
        guard let pointer else { throw ABIFailure.invalid("\(name) is NULL") }
        try aligned(pointer, name, alignment: alignment)
        return pointer
    }

    /// A pointer is aligned for its element type (or `alignment`).
    static func aligned<P: _Pointer>(_ pointer: P, _ name: String, alignment: Int = MemoryLayout<P.Pointee>.alignment) throws {
        let address = UInt(bitPattern: Int(bitPattern: pointer))
        guard address % UInt(alignment) == 0 else {
            throw ABIFailure.invalid("\(name) (0x\(String(address, radix: 16))) is not aligned to \(alignment) bytes")
        }
    }

    /// A size_t argument as an Int; values beyond Int.max are refused.
    static func size(_ value: UInt, _ name: String) throws -> Int {
        guard let size = Int(exactly: value) else { throw ABIFailure.invalid("\(name) is \(value), larger than any valid size") }
        return size
    }

    /// A batch size: 1...Session.maxBatch.
    static func batch(_ value: UInt, limit: Int) throws -> Int {
        guard value >= 1 else { throw ABIFailure.invalid("n is 0, expected at least 1") }
        guard value <= UInt(limit) else { throw ABIFailure.invalid("n is \(value), above the largest batch of \(limit) (MEDAUG_LIMIT_BATCH)") }
        return Int(value)
    }

    /// A required UTF-8 C string (a path, JSON).
    static func string(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
        guard let pointer else { throw ABIFailure.invalid("\(name) is NULL") }
        guard let text = String(validatingCString: pointer) else { throw ABIFailure.invalid("\(name) is not valid UTF-8") }
        return text
    }

    /// Planar image sizes (channels × height × width), each ≥ 1, the whole
    /// at most `maxImageElements`; returns the element count.
    static func imageElements(_ channels: UInt, _ height: UInt, _ width: UInt) throws -> Int {
        guard channels >= 1, height >= 1, width >= 1 else {
            throw ABIFailure.invalid("image size \(channels)×\(height)×\(width): every dimension must be at least 1")
        }
        let count = try product([size(channels, "channels"), size(height, "height"), size(width, "width")], "the image size")
        guard count <= maxImageElements else {
            throw ABIFailure.invalid("an image of \(channels)×\(height)×\(width) values is above the limit of \(maxImageElements)")
        }
        return count
    }

    /// Largest image (all channels) a call takes: 2^28 values (1 GiB of float32).
    static let maxImageElements = 1 << 28

    /// The product of `factors`, or a failure naming `what` if it overflows.
    static func product(_ factors: [Int], _ what: String) throws -> Int {
        var result = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            guard !overflow else {
                throw ABIFailure.invalid("\(what) (\(factors.map(String.init).joined(separator: " × "))) overflows size_t")
            }
            result = next
        }
        return result
    }

    /// An output buffer's capacity covers `needed` elements.
    static func capacity(_ capacity: UInt, needed: Int, _ name: String) throws {
        guard capacity >= UInt(needed) else {
            throw ABIFailure(status: Status.bufferTooSmall,
                             message: "\(name) holds \(capacity) elements, \(needed) are needed; nothing was written")
        }
    }
}
