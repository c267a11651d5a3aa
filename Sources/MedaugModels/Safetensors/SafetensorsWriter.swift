import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes safetensors files atomically: the bytes go to a temporary file in
/// the destination folder, are flushed, and the file is renamed over the
/// destination, so readers see the old file or the complete new one, never a
/// partial one.
public enum SafetensorsWriter {
    /// A named F32 tensor to write.
    public struct Tensor {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The complete file contents: header (keys sorted, padded with spaces to
    /// a multiple of 8 bytes so every F32 tensor is aligned) and data in the
    /// given tensor order.
    public static func encode(_ tensors: [Tensor], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for tensor in tensors {
            guard tensor.shape.reduce(1, *) == tensor.values.count else {
                throw ModelError.container("tensor '\(tensor.name)' has \(tensor.values.count) values for shape \(tensor.shape)")
            }
            guard header[tensor.name] == nil else { throw ModelError.container("tensor '\(tensor.name)' appears twice") }
            let bytes = tensor.values.count * 4
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let padding = (8 - (8 + json.count) % 8) % 8
        json.append(contentsOf: [UInt8](repeating: 0x20, count: padding))
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for tensor in tensors {
            tensor.values.withUnsafeBytes { raw in
                // F32 little-endian: the host order on every platform Swift
                // on Linux supports (x86_64, aarch64).
                out.append(contentsOf: raw)
            }
        }
        return out
    }

    /// Writes `tensors` to `path` atomically.
    public static func write(_ tensors: [Tensor], metadata: [String: String], to path: String) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: path)
    }
}

/// Temporary file + fsync + rename.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ModelError.io(path: path, reason: String(cString: strerror(errno))) }
        var ok = true
        var reason = ""
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false
                    reason = String(cString: strerror(errno))
                    return
                }
                done += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false; reason = String(cString: strerror(errno)) }
        close(fd)
        if ok && rename(temporary, path) != 0 { ok = false; reason = String(cString: strerror(errno)) }
        if !ok {
            unlink(temporary)
            throw ModelError.io(path: path, reason: "write failed: \(reason)")
        }
    }
}
