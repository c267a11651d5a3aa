/// Memory for kernel operands, aligned to a cache line.
///
/// `UnsafeMutablePointer.allocate(capacity:)` aligns a `Float` buffer to
/// 16 bytes only, and glibc serves a large request from its own mapping
/// at 16 bytes past a page boundary: every 64-byte vector then straddles
/// two cache lines. The engine's arena is aligned to 64 bytes; the
/// trainer's tensors, scratch, gradients and moments take this too.
public enum CacheAligned {
    /// Bytes of a cache line on every CPU medaug runs on (x86-64, ARM64).
    public static let lineBytes = 64

    /// Uninitialised room for `capacity` values starting on a cache line.
    /// Release it with `deallocate()`, as any allocated pointer.
    public static func allocate<Element>(_ type: Element.Type, capacity: Int) -> UnsafeMutablePointer<Element> {
        let bytes = max(1, capacity) * MemoryLayout<Element>.stride
        let alignment = max(lineBytes, MemoryLayout<Element>.alignment)
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
            .bindMemory(to: Element.self, capacity: max(1, capacity))
    }

    /// `allocate` as a buffer of `capacity` values.
    public static func allocateBuffer<Element>(_ type: Element.Type,
                                               capacity: Int) -> UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(start: allocate(type, capacity: capacity), count: capacity)
    }
}
