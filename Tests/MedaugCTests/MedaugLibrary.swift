import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

// C function-pointer types matching include/medaug.h, as the Clang importer
// would spell them (size_t → Int, int → Int32, struct pointers → raw).
typealias StringFunction = @convention(c) () -> UnsafePointer<CChar>?
typealias IntFunction = @convention(c) () -> Int32
typealias StatusStringFunction = @convention(c) (Int32) -> UnsafePointer<CChar>?
typealias LoadFileFunction = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
typealias LoadMemoryFunction = @convention(c) (UnsafeRawPointer?, Int, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
typealias FreeFunction = @convention(c) (OpaquePointer?) -> Int32
typealias ModelInfoFunction = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32
typealias LabelValuesFunction = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, Int) -> Int32
typealias ConfigJSONFunction = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
typealias StringFreeFunction = @convention(c) (UnsafeMutablePointer<CChar>?) -> Void
typealias SessionCreateFunction = @convention(c) (OpaquePointer?, UnsafeRawPointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
typealias GenerateCountFunction = @convention(c) (OpaquePointer?, Int, UnsafeMutablePointer<Int>?) -> Int32
typealias GenerateFunction = @convention(c) (OpaquePointer?, UnsafePointer<Int32>?, Int, Int, Int, UnsafeRawPointer?,
                                             UnsafeMutablePointer<Float>?, Int) -> Int32
typealias SegmentCountsFunction = @convention(c) (OpaquePointer?, Int, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int>?) -> Int32
typealias SegmentFunction = @convention(c) (OpaquePointer?, UnsafePointer<Float>?, Int, Int, Int, Int, UnsafeRawPointer?,
                                            UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Int32>?, Int) -> Int32
typealias AugmentFunction = @convention(c) (UnsafePointer<Float>?, UnsafePointer<Int32>?, Int, Int, Int, UnsafePointer<CChar>?,
                                            UInt64, UnsafeRawPointer?, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Int32>?) -> Int32
typealias ExpandFunction = @convention(c) (OpaquePointer?, UnsafePointer<Float>?, UnsafePointer<Int32>?, Int, Int, Int, Int,
                                           UnsafeRawPointer?, UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Int32>?, Int,
                                           UnsafeMutablePointer<Int32>?, Int) -> Int32
typealias ExpandDatasetFunction = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?) -> Int32
typealias MetricsFunction = @convention(c) (UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int, Int, Int, Int, UnsafeRawPointer?,
                                            UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
typealias PageCountFunction = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<Int>?) -> Int32
typealias ImageReadFunction = @convention(c) (UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<Float>?>?,
                                              UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int>?) -> Int32
typealias ImageWriteFunction = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<Float>?, Int, Int, Int, Int32) -> Int32
typealias VolumeReadFunction = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutablePointer<Float>?>?,
                                               UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Double>?) -> Int32
typealias BufferFreeFunction = @convention(c) (UnsafeMutableRawPointer?) -> Void
/// `int (*medaug_progress_fn)(void *user_data, size_t done, size_t total)`.
typealias ProgressCallback = @convention(c) (UnsafeMutableRawPointer?, Int, Int) -> Int32

/// Status codes (include/medaug.h).
enum Status {
    static let ok: Int32 = 0, error: Int32 = 1, invalidArgument: Int32 = 2, ioError: Int32 = 3
    static let formatError: Int32 = 4, shapeMismatch: Int32 = 5, bufferTooSmall: Int32 = 6
    static let outOfMemory: Int32 = 7, unsupported: Int32 = 8, cancelled: Int32 = 9
}

// Swift mirrors of the header's structs; MirrorLayoutTests pins them to the
// offsets bindings/c/abi_layout.c pins the C structs to.
struct ModelInfo {
    var structSize = MemoryLayout<ModelInfo>.size
    var kind: Int32 = 0
    var defaultNormalization: Int32 = 0
    var defaultDropout: Int32 = 0
    var formatVersion: Int32 = 0
    var imageSize = 0
    var inputChannels = 0
    var outputChannels = 0
    var imageChannels = 0
    var classCount = 0
}

struct SessionOptions {
    var structSize = MemoryLayout<SessionOptions>.size
    var threads: Int32 = 0
    var reserved: Int32 = 0
    var memoryLimitBytes: UInt64 = 0
}

struct GenerateOptions {
    var structSize = MemoryLayout<GenerateOptions>.size
    var normalization: Int32 = 0
    var dropout: Int32 = 0
    var seed: UInt64 = 0
}

struct SegmentOptions {
    var structSize = MemoryLayout<SegmentOptions>.size
    var normalization: Int32 = 0
    var reserved: Int32 = 0
}

struct AugmentOptions {
    var structSize = MemoryLayout<AugmentOptions>.size
    var spacingRow = 0.0
    var spacingColumn = 0.0
    var threads: Int32 = 0
    var reserved: Int32 = 0
}

struct ExpandOptions {
    var structSize = MemoryLayout<ExpandOptions>.size
    var target: UInt64 = 0
    var generatedShare = 0.0
    var editShare = 0.0
    var editValues: UnsafePointer<Int32>?
    var editValueCount = 0
    var pipelineJSON: UnsafePointer<CChar>?
    var maskPipelineJSON: UnsafePointer<CChar>?
    var seed: UInt64 = 0
    var normalization: Int32 = 0
    var dropout: Int32 = 0
    var threads: Int32 = 0
    var classicOnly: Int32 = 0
    var overwrite: Int32 = 0
    var reserved: Int32 = 0
    var progress: ProgressCallback?
    var progressUserData: UnsafeMutableRawPointer?
}

struct MetricsOptionsMirror {
    var structSize = MemoryLayout<MetricsOptionsMirror>.size
    var smoothing = 0.0
    var hausdorffPercentile = 0.0
    var spacingRow = 0.0
    var spacingColumn = 0.0
    var regionsJSON: UnsafePointer<CChar>?
    var countAbsentAsOne: Int32 = 0
    var skipHausdorff: Int32 = 0
}

/// libmedaug, dlopen()ed once per test process and never closed (a Swift
/// runtime inside a shared object must not be unloaded), with every
/// exported function resolved through dlsym.
final class MedaugLibrary: @unchecked Sendable {
    let path: String
    let version: StringFunction
    let versionNumber: IntFunction
    let abiVersion: IntFunction
    let lastError: StringFunction
    let statusString: StatusStringFunction
    let modelLoadFile: LoadFileFunction
    let modelLoadMemory: LoadMemoryFunction
    let modelFree: FreeFunction
    let modelInfo: ModelInfoFunction
    let modelLabelValues: LabelValuesFunction
    let modelConfigJSON: ConfigJSONFunction
    let stringFree: StringFreeFunction
    let sessionCreate: SessionCreateFunction
    let sessionFree: FreeFunction
    let generateOutputCount: GenerateCountFunction
    let generate: GenerateFunction
    let segmentOutputCounts: SegmentCountsFunction
    let segment: SegmentFunction
    let augment: AugmentFunction
    let expand: ExpandFunction
    let expandDataset: ExpandDatasetFunction
    let metrics: MetricsFunction
    let imagePageCount: PageCountFunction
    let imageRead: ImageReadFunction
    let imageWrite: ImageWriteFunction
    let volumeRead: VolumeReadFunction
    let bufferFree: BufferFreeFunction

    /// Every function name the header declares (scripts/test-abi checks the
    /// header and the exports agree; this list is checked against dlsym).
    static let functionNames = [
        "medaug_version", "medaug_version_number", "medaug_abi_version", "medaug_last_error",
        "medaug_status_string", "medaug_model_load_file", "medaug_model_load_memory", "medaug_model_free",
        "medaug_model_info", "medaug_model_label_values", "medaug_model_config_json", "medaug_string_free",
        "medaug_session_create", "medaug_session_free", "medaug_generate_output_count", "medaug_generate",
        "medaug_segment_output_counts", "medaug_segment", "medaug_augment", "medaug_expand", "medaug_expand_dataset",
        "medaug_metrics", "medaug_image_page_count", "medaug_image_read", "medaug_image_write", "medaug_volume_read",
        "medaug_buffer_free", "medaug_volume_read_series", "medaug_volume_series_json", "medaug_limit",
        "medaug_cpu_tier",
        "medaug_labels_read",
        "medaug_model_init",
        "medaug_model_load_file_mapped",
        "medaug_image_read_samples",
        "medaug_segment_volume",
        "medaug_expand_dataset_plan", "medaug_expand_dataset_steps", "medaug_expand_dataset_finish",
    ]

    private init(path: String, handle: UnsafeMutableRawPointer) throws {
        func symbol<T>(_ name: String, _ type: T.Type) throws -> T {
            guard let address = dlsym(handle, name) else { throw LoadError("\(path) does not export \(name)") }
            return unsafeBitCast(address, to: type)
        }
        self.path = path
        version = try symbol("medaug_version", StringFunction.self)
        versionNumber = try symbol("medaug_version_number", IntFunction.self)
        abiVersion = try symbol("medaug_abi_version", IntFunction.self)
        lastError = try symbol("medaug_last_error", StringFunction.self)
        statusString = try symbol("medaug_status_string", StatusStringFunction.self)
        modelLoadFile = try symbol("medaug_model_load_file", LoadFileFunction.self)
        modelLoadMemory = try symbol("medaug_model_load_memory", LoadMemoryFunction.self)
        modelFree = try symbol("medaug_model_free", FreeFunction.self)
        modelInfo = try symbol("medaug_model_info", ModelInfoFunction.self)
        modelLabelValues = try symbol("medaug_model_label_values", LabelValuesFunction.self)
        modelConfigJSON = try symbol("medaug_model_config_json", ConfigJSONFunction.self)
        stringFree = try symbol("medaug_string_free", StringFreeFunction.self)
        sessionCreate = try symbol("medaug_session_create", SessionCreateFunction.self)
        sessionFree = try symbol("medaug_session_free", FreeFunction.self)
        generateOutputCount = try symbol("medaug_generate_output_count", GenerateCountFunction.self)
        generate = try symbol("medaug_generate", GenerateFunction.self)
        segmentOutputCounts = try symbol("medaug_segment_output_counts", SegmentCountsFunction.self)
        segment = try symbol("medaug_segment", SegmentFunction.self)
        augment = try symbol("medaug_augment", AugmentFunction.self)
        expand = try symbol("medaug_expand", ExpandFunction.self)
        expandDataset = try symbol("medaug_expand_dataset", ExpandDatasetFunction.self)
        metrics = try symbol("medaug_metrics", MetricsFunction.self)
        imagePageCount = try symbol("medaug_image_page_count", PageCountFunction.self)
        imageRead = try symbol("medaug_image_read", ImageReadFunction.self)
        imageWrite = try symbol("medaug_image_write", ImageWriteFunction.self)
        volumeRead = try symbol("medaug_volume_read", VolumeReadFunction.self)
        bufferFree = try symbol("medaug_buffer_free", BufferFreeFunction.self)
    }

    struct LoadError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The library, or why it is unavailable.
    private static let loaded: Result<MedaugLibrary, LoadError> = {
        guard let path = locate() else {
            return .failure(LoadError(
                "libMedaugC.so not found next to the test bundle and MEDAUG_LIBRARY is not set; build it with `swift build --product MedaugC` (scripts/test-abi does)"))
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(LoadError("dlopen(\(path)) failed: \(String(cString: dlerror()))"))
        }
        return Result { try MedaugLibrary(path: path, handle: handle) }.mapError { $0 as! LoadError }
    }()

    /// The loaded library; skips the calling test if it was not built.
    static func shared() throws -> MedaugLibrary {
        switch loaded {
        case .success(let library): return library
        case .failure(let error):
            if error.description.hasPrefix("libMedaugC.so not found") { throw XCTSkip(error.description) }
            throw error
        }
    }

    /// $MEDAUG_LIBRARY, else libMedaugC.so (or libmedaug.so) in the build
    /// folder holding this test bundle.
    static func locate() -> String? {
        if let path = ProcessInfo.processInfo.environment["MEDAUG_LIBRARY"], !path.isEmpty { return path }
        var folders: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append((executable as NSString).deletingLastPathComponent)
        }
        folders.append((CommandLine.arguments[0] as NSString).deletingLastPathComponent)
        for folder in folders {
            for name in ["libMedaugC.so", "libmedaug.so"] {
                let candidate = (folder as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    // MARK: Conveniences for tests

    /// This thread's message.
    var message: String { String(cString: lastError()!) }

    /// Loads a model file, failing the test on error.
    func load(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> OpaquePointer {
        var model: OpaquePointer?
        let status = modelLoadFile(path, &model)
        XCTAssertEqual(status, Status.ok, message, file: file, line: line)
        return try XCTUnwrap(model, file: file, line: line)
    }

    /// Creates a session, failing the test on error.
    func makeSession(_ model: OpaquePointer, threads: Int32 = 1, file: StaticString = #filePath, line: UInt = #line) throws -> OpaquePointer {
        var options = SessionOptions()
        options.threads = threads
        var session: OpaquePointer?
        let status = sessionCreate(model, &options, &session)
        XCTAssertEqual(status, Status.ok, message, file: file, line: line)
        return try XCTUnwrap(session, file: file, line: line)
    }

    func info(_ model: OpaquePointer) -> (status: Int32, info: ModelInfo) {
        var info = ModelInfo()
        let status = modelInfo(model, &info)
        return (status, info)
    }
}

/// A pointer that is not a handle: a value that out-parameters are preset
/// to, to check they are set to NULL on failure.
let bogusHandle = OpaquePointer(bitPattern: 0xdead_bee0)!

/// SIZE_MAX as the importer passes size_t.
let sizeMax = Int(bitPattern: UInt.max)

/// State shared with test threads, behind a lock.
final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func update<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
    var current: Value { update { $0 } }
}

/// A handle passed to another thread (the library documents which handles
/// may cross threads; the tests choose what to send).
struct SendableHandle: @unchecked Sendable {
    let pointer: OpaquePointer?
}
