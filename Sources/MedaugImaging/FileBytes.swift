#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MedaugSupport

/// Reads a whole (small) file with a size cap checked before and during the
/// read.
///
/// Why not `FileManager.contents(atPath:)`: it reads first and lets the
/// caller check the size afterwards (a 10 GB "manifest.json" would be read
/// whole), and the fuzzer found that it leaks a 4 KiB buffer per call on an
/// empty file (swift-foundation's `readBytesFromFile`).
public enum FileBytes {
    /// The bytes of `path`, at most `maxBytes`.
    ///
    /// - Throws: `ImagingError.io` (missing, unreadable, a folder),
    ///   `.tooLarge` (over `maxBytes`).
    public static func read(path: String, maxBytes: Int) throws -> Data {
        // Non-blocking, so a FIFO or device cannot hang the open; only a
        // regular file passes the type check below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw ImagingError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ImagingError.io(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw ImagingError.io(path: path, reason: "is a folder") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ImagingError.io(path: path, reason: "is \(FileKind.name(info.st_mode)), not a regular file")
        }
        guard Int(info.st_size) <= maxBytes else {
            throw ImagingError.tooLarge(path: path, reason: "\(info.st_size) bytes exceed the cap of \(maxBytes)")
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ImagingError.io(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { return data }
            guard data.count + n <= maxBytes else {
                throw ImagingError.tooLarge(path: path, reason: "more than the cap of \(maxBytes) bytes")
            }
            data.append(contentsOf: chunk[0..<n])
        }
    }
}
