import Foundation
import XCTest
@testable import MedaugModels

/// The container parser against hand-made hostile files: every malformed
/// header must give a `ModelError` naming the problem, never a crash.
final class SafetensorsFileTests: XCTestCase {
    /// A file image: 8-byte length, `header` bytes, `data` bytes.
    func file(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (lengthOverride ?? UInt64(json.count)).littleEndian) { bytes += $0 }
        return bytes + json + data
    }

    func parse(_ bytes: [UInt8]) throws -> SafetensorsFile {
        try bytes.withUnsafeBytes { try SafetensorsFile(bytes: $0) }
    }

    func assertError(_ bytes: [UInt8], contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(bytes), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(fragment), "'\(text)' does not mention '\(fragment)'", file: file, line: line)
        }
    }

    func testRoundTripThroughWriter() throws {
        let tensors = [
            SafetensorsWriter.Tensor(name: "b", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
            SafetensorsWriter.Tensor(name: "a", shape: [1], values: [-7.5]),
            SafetensorsWriter.Tensor(name: "empty", shape: [0, 4], values: []),
        ]
        let data = try SafetensorsWriter.encode(tensors, metadata: ["k": "v"])
        // The header is padded so data starts 8-byte aligned.
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual((8 + Int(headerLength)) % 8, 0)
        let parsed = try parse(Array(data))
        XCTAssertEqual(parsed.metadata, ["k": "v"])
        XCTAssertEqual(parsed.floatArray("b"), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Array(parsed.floats("a")!), [-7.5])
        XCTAssertEqual(parsed.entries["empty"]?.shape, [0, 4])
    }

    func testAFileIsCopiedByDefaultAndMappedOnRequest() throws {
        let path = NSTemporaryDirectory() + "medaug-copy-\(getpid())-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let old = try SafetensorsWriter.encode([SafetensorsWriter.Tensor(name: "w", shape: [4], values: [1, 2, 3, 4])], metadata: [:])
        let new = try SafetensorsWriter.encode([SafetensorsWriter.Tensor(name: "w", shape: [4], values: [5, 6, 7, 8])], metadata: [:])
        XCTAssertEqual(old.count, new.count)
        try old.write(to: URL(fileURLWithPath: path))
        let copied = try SafetensorsFile(path: path)
        let mapped = try SafetensorsFile(path: path, loading: .map)
        // Overwritten in place (same inode, as `cp` does).
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: new)
        try handle.close()
        XCTAssertEqual(copied.floatArray("w"), [1, 2, 3, 4], "a copy must not see later writes")
        XCTAssertEqual(mapped.floatArray("w"), [5, 6, 7, 8], "a mapping shares the file's pages (the documented risk)")
        truncate(path, 0)
        XCTAssertEqual(copied.floatArray("w"), [1, 2, 3, 4])
        copied.releasePages(of: "w")   // a private disk copy re-reads its own pages
        XCTAssertEqual(copied.floatArray("w"), [1, 2, 3, 4])

        // Without a disk temporary folder (tmpfs, or none) the copy is in memory, just as immune.
        let saved = getenv("TMPDIR").map { String(cString: $0) }
        defer { if let saved { setenv("TMPDIR", saved, 1) } else { unsetenv("TMPDIR") } }
        for folder in ["/dev/shm", "/nonexistent-medaug"] {
            setenv("TMPDIR", folder, 1)
            try old.write(to: URL(fileURLWithPath: path))
            let inMemory = try SafetensorsFile(path: path)
            try new.write(to: URL(fileURLWithPath: path))
            truncate(path, 0)
            XCTAssertEqual(inMemory.floatArray("w"), [1, 2, 3, 4], folder)
        }
    }

    func testTruncatedAndOversizedHeaders() {
        assertError([1, 2, 3], contains: "shorter than the 8-byte header length")
        assertError(file(header: "{}", lengthOverride: 1 << 40), contains: "header length")
        assertError(file(header: "{}", lengthOverride: 0), contains: "header length 0")
        assertError(file(header: "{\"a\": 1"), contains: "not valid JSON")
        assertError(file(header: "[1, 2]"), contains: "not a JSON object")
    }

    func testBadEntries() {
        let four = [UInt8](repeating: 0, count: 8)
        assertError(file(header: #"{"t": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}}"#, data: four),
                    contains: "unknown dtype")
        assertError(file(header: #"{"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, data: four),
                    contains: "invalid shape")
        assertError(file(header: #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 400]}}"#, data: four),
                    contains: "outside")
        assertError(file(header: #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, data: four),
                    contains: "outside")
        assertError(file(header: #"{"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 4]}}"#, data: four),
                    contains: "needs 12 bytes")
        assertError(file(header: #"{"t": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}"#, data: four),
                    contains: "invalid shape")
        assertError(file(header: #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, data: four),
                    contains: "data_offsets")
        assertError(file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}"#, data: four),
                    contains: "overlap")
        assertError(file(header: #"{"__metadata__": {"medaug": 5}}"#), contains: "not a string")
        assertError(file(header: #"{"t": 3}"#), contains: "not an object")
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try SafetensorsFile(path: "/nonexistent/model.safetensors")) { error in
            guard case ModelError.io = error else { return XCTFail("expected io error, got \(error)") }
        }
    }

    func testUnalignedDataIsCopied() throws {
        // Header of odd length: data starts at an odd address.
        let header = #"{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"# + " "
        var data: [UInt8] = []
        for v: Float in [1.5, -2] { withUnsafeBytes(of: v) { data += $0 } }
        let parsed = try parse(file(header: header, data: data))
        XCTAssertEqual(parsed.floatArray("t"), [1.5, -2])
    }
}
