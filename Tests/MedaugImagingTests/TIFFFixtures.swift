import Foundation
import XCTest
@testable import MedaugImaging

/// The files written by Tests/fixtures/make_tiffs.py (tifffile) and what
/// tifffile reads from them; generated once per test process into a
/// temporary folder.
enum TIFFFixtures {
    struct Page: Decodable {
        var shape: [Int]
        var dtype: String
        var data: String
        var compression: Int
        var planar: String
        var tiled: Bool
        var photometric: Int
        var predictor: Int
        var bits: Int
    }

    struct Valid: Decodable {
        var name: String
        var byteorder: String
        var pages: [Page]
    }

    struct Hostile: Decodable {
        var name: String
        var expect: [String]
        var contains: String
    }

    struct Repaired: Decodable {
        var name: String
        var data: String
        var warning: String
    }

    struct Manifest: Decodable {
        var valid: [Valid]
        var hostile: [Hostile]
        var repaired: [Repaired]
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/make_tiffs.py").path

    nonisolated(unsafe) private static var generatedFolder: String?

    /// Folder and manifest, or why they could not be made.
    private static let generated: Result<(folder: String, manifest: Manifest), Error> = Result {
        let folder = try makeTemporaryFolder()
        generatedFolder = folder
        // Shared by every test of the process, so removed when it exits.
        atexit { if let folder = TIFFFixtures.generatedFolder { try? FileManager.default.removeItem(atPath: folder) } }
        let (status, output) = runPython([script, "make", folder])
        guard status == 0 else { throw FixtureError.failed("make_tiffs.py make failed (\(status)): \(output)") }
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        return (folder, try JSONDecoder().decode(Manifest.self, from: data))
    }

    /// The generated fixtures; skips the test (with the reason) when python3
    /// or tifffile is missing, fails it on any other problem.
    static func load() throws -> (folder: String, manifest: Manifest) {
        try requirePython()
        return try generated.get()
    }

    enum FixtureError: Error, CustomStringConvertible {
        case failed(String)
        var description: String { if case .failed(let s) = self { return s }; return "" }
    }

    private static let pythonCheck: (status: Int32, output: String)? =
        runPython(["-c", "import numpy, tifffile, imagecodecs"])

    /// Skips when python3, numpy, tifffile or imagecodecs is missing.
    static func requirePython() throws {
        guard let check = pythonCheck, check.status == 0 else {
            throw XCTSkip("TIFF fixtures need python3 with numpy, tifffile and imagecodecs: "
                + (pythonCheck?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? "python3 not found"))
        }
    }

    static func makeTemporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "medaug-tiff-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The samples' bytes in memory (little-endian on every platform medaug
    /// runs on; `Bool` is one byte 0 or 1), for bit-exact comparison.
    static func bytes(of pixels: PixelData) -> Data {
        switch pixels {
        case .bool(let v): return v.withUnsafeBytes { Data($0) }
        case .uint8(let v): return v.withUnsafeBytes { Data($0) }
        case .int8(let v): return v.withUnsafeBytes { Data($0) }
        case .uint16(let v): return v.withUnsafeBytes { Data($0) }
        case .int16(let v): return v.withUnsafeBytes { Data($0) }
        case .uint32(let v): return v.withUnsafeBytes { Data($0) }
        case .int32(let v): return v.withUnsafeBytes { Data($0) }
        case .float32(let v): return v.withUnsafeBytes { Data($0) }
        case .float64(let v): return v.withUnsafeBytes { Data($0) }
        }
    }

    /// The `ImagingError` case name ("malformed", "tooLarge", …).
    static func caseName(_ error: Error) -> String {
        guard let error = error as? ImagingError else { return "not an ImagingError: \(error)" }
        switch error {
        case .io: return "io"
        case .malformed: return "malformed"
        case .unsupported: return "unsupported"
        case .tooLarge: return "tooLarge"
        case .invalidArgument: return "invalidArgument"
        }
    }

    /// Runs `body` with file descriptor 2 redirected to a file and returns
    /// what was written to it, so a test can check libtiff printed nothing.
    static func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
        let path = NSTemporaryDirectory() + "medaug-stderr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let capture = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let saved = dup(2)
        fflush(stderr)
        dup2(capture, 2)
        defer {
            fflush(stderr)
            dup2(saved, 2)
            close(saved)
            close(capture)
        }
        try body()
        fflush(stderr)
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        unlink(path)
        return text
    }
}
