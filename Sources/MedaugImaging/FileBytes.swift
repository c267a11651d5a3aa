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
    /// `FileKind.openRegular` with the failure as `ImagingError.io`.
    static func openRegular(path: String) throws -> (Int32, stat) {
        switch FileKind.openRegular(path: path) {
        case .success(let file): return file
        case .failure(.system(let reason)): throw ImagingError.io(path: path, reason: reason)
        case .failure(.notRegular(let mode)):
            let what = (mode & S_IFMT) == S_IFDIR ? "is a folder" : "is \(FileKind.name(mode)), not a regular file"
            throw ImagingError.io(path: path, reason: what)
        }
    }

    /// The bytes of `path`, at most `maxBytes`.
    ///
    /// - Throws: `ImagingError.io` (missing, unreadable, a folder),
    ///   `.tooLarge` (over `maxBytes`).
    public static func read(path: String, maxBytes: Int) throws -> Data {
        let (fd, info) = try openRegular(path: path)
        defer { close(fd) }
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
