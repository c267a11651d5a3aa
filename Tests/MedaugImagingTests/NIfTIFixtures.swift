import Foundation
import XCTest

/// The NIfTI fixtures written by Tests/fixtures/make_nifti.py (nibabel),
/// generated once per test process into a temporary folder.
///
/// Tests skip, saying why, only when python3, numpy or nibabel is missing.
/// The generated fixture folder, removed when the test process exits.
nonisolated(unsafe) private var generatedFolder: String?

enum NIfTIFixtures {
    /// One valid case's expectation, as nibabel read the file.
    struct Expected: Decodable {
        struct Canonical: Decodable {
            let shape: [Int]
            let affine: [[Double]]
            let zooms: [Double]
            let file: String
        }
        struct SliceFile: Decodable {
            let index: Int
            let file: String
            let rows: Int
            let columns: Int
        }
        let shape: [Int]
        let datatype: String
        let zooms: [Double]
        let affine: [[Double]]
        let axcodes: String
        let sform_code: Int
        let qform_code: Int
        let slope: Double
        let inter: Double
        let canonical: Canonical
        let slices: [String: SliceFile]
    }

    struct Manifest: Decodable {
        let nibabel: String
        let valid: [String: Expected]
        let hostile: [String: String]
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/make_nifti.py").path

    /// The folder and manifest, or why they could not be made.
    private static let generated: Result<(URL, Manifest), Error> = Result {
        let (status, output) = runPython(["-c", "import numpy, nibabel"])
        guard status == 0 else { throw XCTSkip("python3 with numpy and nibabel is needed for the NIfTI fixtures: \(output)") }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("medaug-nifti-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        generatedFolder = folder.path
        atexit { if let path = generatedFolder { try? FileManager.default.removeItem(atPath: path) } }
        let (made, log) = runPython([script, folder.path])
        guard made == 0 else { throw NSError(domain: "make_nifti.py", code: Int(made), userInfo: [NSLocalizedDescriptionKey: log]) }
        let data = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
        return (folder, try JSONDecoder().decode(Manifest.self, from: data))
    }

    /// The fixture folder and manifest; throws `XCTSkip` without nibabel.
    static func load() throws -> (folder: URL, manifest: Manifest) {
        let (folder, manifest) = try generated.get()
        return (folder, manifest)
    }

    /// A raw little-endian float64 file.
    static func float64s(_ url: URL) throws -> [Double] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        }
    }

    /// Writes `values` as a raw little-endian float64 file.
    static func writeFloat64s(_ values: [Double], to url: URL) throws {
        var data = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: url)
    }

    /// A fresh empty temporary folder, removed when `test` finishes.
    static func scratchFolder(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("medaug-nifti-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// Asserts two numbers agree within `relative` of the larger magnitude
/// (or `absolute`, whichever is larger), printing both and the error.
func assertClose(_ actual: Double, _ expected: Double, relative: Double = 1e-6, absolute: Double = 0,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    let tolerance = max(absolute, relative * max(abs(actual), abs(expected)))
    if !(abs(actual - expected) <= tolerance) && !(actual.isNaN && expected.isNaN) {
        XCTFail("\(message()): got \(actual), expected \(expected), error \(abs(actual - expected)) > \(tolerance)",
                file: file, line: line)
    }
}
