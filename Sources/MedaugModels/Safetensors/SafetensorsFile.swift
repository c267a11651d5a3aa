import Foundation
import MedaugSupport
#if canImport(Glibc)
import Glibc
#endif

/// A read-only safetensors file, held in memory (or memory-mapped), with
/// every header entry validated before any tensor is handed out.
///
/// Layout: 8-byte little-endian header length `n`, `n` bytes of UTF-8 JSON
/// mapping tensor names to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the byte after the header), an optional
/// `"__metadata__"` string→string map, then the data.
///
/// Thread-safety: immutable after `init`; safe to share.
public final class SafetensorsFile: @unchecked Sendable {
    /// One tensor's header entry, validated.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        /// Byte range in the data section.
        public var range: Range<Int>
    }

    /// Upper bound on the JSON header (the official implementation uses 100 MB).
    public static let maxHeaderBytes = 100_000_000

    public let entries: [String: Entry]
    public let metadata: [String: String]
    /// Where the file came from, for messages.
    public let source: String

    private let base: UnsafeRawPointer
    private let byteCount: Int
    private let dataStart: Int
    private let isMapped: Bool
    /// Memory from `aligned_alloc` (freed with `free`), not `allocate`.
    private let isMalloced: Bool

    /// How a file's bytes reach memory.
    public enum Loading: Sendable {
        /// Copied once (the default, as ONNX Runtime copies): later writes
        /// to the file, or its truncation, cannot reach the loaded weights.
        /// The copy is a private unlinked temporary file, mapped, so that
        /// weights the engine has repacked can leave memory as with `.map`;
        /// in memory when the temporary folder is tmpfs or cannot take it.
        case copy
        /// Memory-mapped: no copy, pages shared with other processes that
        /// map the file; but a write to the file shows up in the weights,
        /// and truncating it makes the next read of a lost page SIGBUS.
        case map
    }

    /// Reads (or maps) the file at `path` and validates its header.
    /// - Throws: `ModelError.io` if it cannot be read (or changes size while
    ///   being read), `ModelError.container` naming the first bad entry.
    public convenience init(path: String, loading: Loading = .copy) throws {
        let (fd, info): (Int32, stat)
        switch FileKind.openRegular(path: path) {
        case .success(let file): (fd, info) = file
        case .failure(.system(let reason)): throw ModelError.io(path: path, reason: reason)
        case .failure(.notRegular(let mode)):
            throw ModelError.io(path: path, reason: "not a regular file (\(FileKind.name(mode)))")
        }
        defer { close(fd) }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw ModelError.container("'\(path)' is \(size) bytes, shorter than the 8-byte header length")
        }
        switch loading {
        case .map:
            guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
                throw ModelError.io(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
            }
            do {
                try self.init(base: UnsafeRawPointer(mapping), byteCount: size, isMapped: true, source: path)
            } catch {
                munmap(mapping, size)
                throw error
            }
        case .copy:
            // Preferably a private copy on disk, mapped: later changes to the
            // user's file cannot reach it, and pages the engine has packed
            // elsewhere can still be dropped (`releasePages`), as with a
            // mapping of the file itself. In memory when that is not possible.
            if let mapping = SafetensorsFile.privateDiskCopy(of: fd, count: size, path: path) {
                do {
                    try self.init(base: UnsafeRawPointer(mapping), byteCount: size, isMapped: true, source: path)
                    return
                } catch {
                    munmap(mapping, size)
                    throw error
                }
            }
            // malloc rather than allocate(): an impossible size is an error, not a trap.
            guard let copy = aligned_alloc(64, (size + 63) / 64 * 64) else {
                throw ModelError.io(path: path, reason: "cannot allocate \(size) bytes for the model's copy")
            }
            do {
                try SafetensorsFile.read(fd, count: size, into: copy, path: path)
                try self.init(base: UnsafeRawPointer(copy), byteCount: size, isMapped: false, source: path, isMalloced: true)
            } catch {
                free(copy)
                throw error
            }
        }
    }

    /// `fd`'s first `count` bytes copied into an unlinked temporary file
    /// (O_TMPFILE in the temporary folder) and mapped read-only; nil when the
    /// folder is on tmpfs (the copy would be memory that a mapping merely
    /// hides from the process's RSS) or anything fails, including a source
    /// that shrinks while being copied (the in-memory copy then reports it).
    private static func privateDiskCopy(of fd: Int32, count: Int, path: String) -> UnsafeMutableRawPointer? {
        let folder = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 }) ?? "/tmp"
        guard !isInMemoryFileSystem(folder) else { return nil }
        var template = Array((folder + "/.medaug-model-XXXXXX").utf8CString)
        let copy = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard copy >= 0 else { return nil }
        unlink(String(cString: template))   // private from here on: only this descriptor reaches it
        defer { close(copy) }
        let chunk = 1 << 22
        guard let buffer = malloc(chunk) else { return nil }
        defer { free(buffer) }
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            guard (try? read(fd, count: n, at: done, into: buffer, path: path)) != nil else { return nil }
            var written = 0
            while written < n {
                let w = pwrite(copy, buffer + written, n - written, off_t(done + written))
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { return nil }
                written += w
            }
            done += n
        }
        guard let mapping = mmap(nil, count, PROT_READ, MAP_PRIVATE, copy, 0), mapping != MAP_FAILED else { return nil }
        return mapping
    }

    /// Whether `folder` lies on tmpfs or ramfs (the mount in
    /// /proc/self/mounts with the longest matching mount point); true when
    /// that cannot be told, so the caller keeps the plain in-memory copy.
    private static func isInMemoryFileSystem(_ folder: String) -> Bool {
        guard let resolved = realpath(folder, nil) else { return true }
        let target = String(cString: resolved)
        free(resolved)
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return true }
        var best = (length: -1, type: "")
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1])
            let inside = target == point || target.hasPrefix(point == "/" ? "/" : point + "/")
            if inside && point.count > best.length { best = (point.count, String(fields[2])) }
        }
        return best.length < 0 || ["tmpfs", "ramfs"].contains(best.type)
    }

    /// Reads exactly `count` bytes of `fd` from `offset` into `buffer`.
    private static func read(_ fd: Int32, count: Int, at offset: Int = 0, into buffer: UnsafeMutableRawPointer,
                             path: String) throws {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw ModelError.io(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            guard n > 0 else {
                throw ModelError.io(path: path, reason: "the file shrank to \(offset + done) bytes while being read")
            }
            done += n
        }
    }

    /// Copies `bytes` once into aligned memory and validates them.
    public convenience init(bytes: UnsafeRawBufferPointer, source: String = "<memory>") throws {
        guard bytes.count >= 8 else {
            throw ModelError.container("\(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        copy.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        do {
            try self.init(base: UnsafeRawPointer(copy), byteCount: bytes.count, isMapped: false, source: source)
        } catch {
            copy.deallocate()
            throw error
        }
    }

    private init(base: UnsafeRawPointer, byteCount: Int, isMapped: Bool, source: String,
                 isMalloced: Bool = false) throws {
        self.base = base
        self.byteCount = byteCount
        self.isMapped = isMapped
        self.isMalloced = isMalloced
        self.source = source
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength > 0, headerLength <= UInt64(min(byteCount - 8, SafetensorsFile.maxHeaderBytes)) else {
            throw ModelError.container(
                "header length \(headerLength) does not fit a \(byteCount)-byte file (at most \(min(byteCount - 8, SafetensorsFile.maxHeaderBytes)))")
        }
        dataStart = 8 + Int(headerLength)
        let header = Data(bytes: base + 8, count: Int(headerLength))
        (entries, metadata) = try SafetensorsFile.parseHeader(header, dataBytes: byteCount - dataStart)
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), byteCount)
        } else if isMalloced {
            free(UnsafeMutableRawPointer(mutating: base))
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    /// The raw bytes of `entry`.
    public func bytes(of entry: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + dataStart + entry.range.lowerBound, count: entry.range.count)
    }

    /// The F32 elements of `name`, without copying when the data is 4-byte
    /// aligned (always, for files medaug writes); nil if absent or not F32.
    public func floats(_ name: String) -> UnsafeBufferPointer<Float>? {
        guard let entry = entries[name], entry.dtype == "F32" else { return nil }
        let raw = bytes(of: entry)
        guard Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return raw.bindMemory(to: Float.self)
    }

    /// Copies the F32 elements of `name` (aligned or not).
    public func floatArray(_ name: String) -> [Float]? {
        guard let entry = entries[name], entry.dtype == "F32" else { return nil }
        let raw = bytes(of: entry)
        return [Float](unsafeUninitializedCapacity: raw.count / 4) { buffer, count in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            count = raw.count / 4
        }
    }

    /// Tells the kernel the pages of `name` are not needed any more (after
    /// their values were copied, e.g. into folded weights), so a mapped file
    /// does not stay resident next to its transformed copy. Harmless for
    /// in-memory files; the data stays readable (re-read from the file).
    public func releasePages(of name: String) {
        guard isMapped, let entry = entries[name] else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (dataStart + entry.range.lowerBound + page - 1) / page * page
        let end = (dataStart + entry.range.upperBound) / page * page
        if end > start {
            madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
        }
    }

    static let elementSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    /// Validates every entry: known dtype, non-negative shape whose byte size
    /// matches its offsets, offsets inside the data, no two tensors overlapping.
    static func parseHeader(_ header: Data, dataBytes: Int) throws -> ([String: Entry], [String: String]) {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw ModelError.container("the header is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw ModelError.container("the header is not a JSON object") }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw ModelError.container("__metadata__ is not an object") }
                for (key, item) in map {
                    guard let text = item as? String else {
                        throw ModelError.container("__metadata__['\(key)'] is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any] else { throw ModelError.container("entry '\(name)' is not an object") }
            guard let dtype = fields["dtype"] as? String, let size = elementSizes[dtype] else {
                throw ModelError.container("tensor '\(name)' has a missing or unknown dtype \(fields["dtype"] ?? "nil")")
            }
            guard let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw ModelError.container("tensor '\(name)' has a missing or invalid shape")
            }
            guard let offsets = integers(fields["data_offsets"]), offsets.count == 2 else {
                throw ModelError.container("tensor '\(name)' has missing or invalid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataBytes else {
                throw ModelError.container("tensor '\(name)' data_offsets [\(begin), \(end)] lie outside the \(dataBytes)-byte data section")
            }
            var expected = size
            for dim in shape {
                let (product, overflow) = expected.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw ModelError.container("tensor '\(name)' shape \(shape) overflows") }
                expected = product
            }
            guard expected == end - begin else {
                throw ModelError.container("tensor '\(name)' of \(dtype) \(shape) needs \(expected) bytes but data_offsets span \(end - begin)")
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
        }
        let sorted = entries.values.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw ModelError.container("tensors '\(a.name)' and '\(b.name)' overlap in the data section")
        }
        return (entries, metadata)
    }

    /// A JSON array of non-negative integers that fit in Int, or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for item in array {
            guard let number = item as? NSNumber else { return nil }
            let double = number.doubleValue
            guard double == double.rounded(), double >= 0, double < 9.0e15 else { return nil }
            result.append(Int(double))
        }
        return result
    }
}
