import CNIfTI
import Foundation

/// A file opened through nifticlib's znzlib (plain stdio or zlib's gzip),
/// with every count checked.
///
/// Why a wrapper: `znzread` returns `(size_t)-1` when zlib reports a data
/// error (its `gzread` returned -1), which looks like a huge successful
/// read to a C caller that only tests `n < wanted` (nifticlib's own
/// `nifti_read_buffer` does exactly that) and arrives in Swift, where
/// `size_t` is `Int`, as -1; and a gzip stream cut
/// short after its last data byte only shows in `gzclose`'s result
/// (`Z_BUF_ERROR`), which `znzclose` passes through. This type turns both
/// into errors.
final class NIfTIZNZFile {
    private var file: znzFile?
    let path: String
    let isCompressed: Bool

    /// Opens `path` for reading or writing (`mode` "rb" or "wb").
    ///
    /// - Throws: `ImagingError.io` with the system's reason.
    init(path: String, mode: String, compressed: Bool) throws {
        errno = 0
        guard let f = znzopen(path, mode, compressed ? 1 : 0) else {
            let reason = errno != 0 ? String(cString: strerror(errno)) : "znzopen failed"
            throw ImagingError.io(path: path, reason: reason)
        }
        self.file = f
        self.path = path
        self.isCompressed = compressed
    }

    deinit { _ = close() }

    /// Reads up to `buffer.count` bytes; `nil` if zlib reported corrupt data.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard let file, buffer.count > 0 else { return 0 }
        // size_t arrives in Swift as Int: zlib's -1 is negative here.
        let n = znzread(buffer.baseAddress, 1, buffer.count, file)
        return n < 0 || n > buffer.count ? nil : n
    }

    /// Reads exactly `buffer.count` bytes of `what`.
    ///
    /// - Throws: `ImagingError.malformed` naming what was cut short.
    func readExactly(into buffer: UnsafeMutableRawBufferPointer, what: String, soFar: Int = 0, total: Int? = nil) throws {
        guard let n = read(into: buffer) else {
            throw ImagingError.malformed(path: path, reason: "the gzip stream is corrupt (zlib data error while reading \(what))")
        }
        if n < buffer.count {
            let whole = total ?? buffer.count
            throw ImagingError.malformed(path: path, reason: "\(what) is truncated: \(soFar + n) of \(whole) bytes\(isCompressed ? " (the gzip stream ends early)" : "")")
        }
    }

    /// Reads and discards `count` bytes.
    func skip(_ count: Int, what: String) throws {
        var remaining = count
        var scratch = [UInt8](repeating: 0, count: min(count, 1 << 16))
        while remaining > 0 {
            let n = min(remaining, scratch.count)
            try scratch.withUnsafeMutableBytes {
                try readExactly(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]), what: what,
                                soFar: count - remaining, total: count)
            }
            remaining -= n
        }
    }

    /// Checks that a gzip stream ends cleanly after the data just read:
    /// reading on must hit the end (or trailing bytes) with the CRC and
    /// length trailer verified, not a zlib error or a cut-off stream.
    ///
    /// - Throws: `ImagingError.malformed`.
    func checkCleanGzipEnd() throws {
        guard isCompressed else { return }
        var byte: UInt8 = 0
        let n = withUnsafeMutableBytes(of: &byte) { read(into: $0) }
        if n == nil {
            throw ImagingError.malformed(path: path, reason: "the gzip stream is corrupt (zlib data or CRC error after the voxel data)")
        }
        if n == 0 && close() != 0 {
            throw ImagingError.malformed(path: path, reason: "the gzip stream is truncated (it ends before its CRC trailer)")
        }
    }

    /// Writes all of `bytes`.
    ///
    /// - Throws: `ImagingError.io`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let file else { throw ImagingError.io(path: path, reason: "file already closed") }
        guard bytes.count > 0 else { return }
        errno = 0
        let n = znzwrite(bytes.baseAddress, 1, bytes.count, file)
        guard n == bytes.count else {
            let reason = errno != 0 ? String(cString: strerror(errno)) : "short write"
            throw ImagingError.io(path: path, reason: "wrote \(n) of \(bytes.count) bytes: \(reason)")
        }
    }

    /// Closes the file (once); returns `gzclose`'s or `fclose`'s result,
    /// 0 on success.
    @discardableResult
    func close() -> Int32 {
        guard file != nil else { return 0 }
        return Xznzclose(&file)
    }
}
