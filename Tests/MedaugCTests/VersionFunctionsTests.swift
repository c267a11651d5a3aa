import MedaugSupport
import XCTest

/// medaug_version*, medaug_abi_version, medaug_status_string, and the
/// Swift mirrors of the header's structs.
final class VersionFunctionsTests: XCTestCase {
    func testVersionsMatchTheHeader() throws {
        let lib = try MedaugLibrary.shared()
        XCTAssertEqual(String(cString: try XCTUnwrap(lib.version())), "0.3.0")
        XCTAssertEqual(lib.versionNumber(), 3000)
        XCTAssertEqual(lib.abiVersion(), 1)
        // Static: the same pointer every time.
        XCTAssertEqual(lib.version(), lib.version())
    }

    /// medaug_cpu_tier names the tier the Swift side uses, as a static string.
    func testCPUTierIsReported() throws {
        let lib = try MedaugLibrary.shared()
        guard let handle = dlopen(lib.path, RTLD_NOW | RTLD_NOLOAD), let symbol = dlsym(handle, "medaug_cpu_tier") else {
            return XCTFail("medaug_cpu_tier is not exported")
        }
        let function = unsafeBitCast(symbol, to: (@convention(c) () -> UnsafePointer<CChar>).self)
        XCTAssertEqual(String(cString: function()), CPUTier.current.rawValue)
        XCTAssertEqual(function(), function())
    }

    func testStatusStringsNameEveryCodeAndNeverReturnNull() throws {
        let lib = try MedaugLibrary.shared()
        var names: Set<String> = []
        for code: Int32 in 0...9 {
            let name = String(cString: try XCTUnwrap(lib.statusString(code)))
            XCTAssertFalse(name.isEmpty, "code \(code)")
            XCTAssertNotEqual(name, "unknown status code", "code \(code)")
            names.insert(name)
        }
        XCTAssertEqual(names.count, 10, "every code has its own description: \(names.sorted())")
        XCTAssertEqual(String(cString: try XCTUnwrap(lib.statusString(Status.invalidArgument))), "invalid argument")
        for code: Int32 in [-1, 10, 255, .max, .min] {
            XCTAssertEqual(String(cString: try XCTUnwrap(lib.statusString(code))), "unknown status code", "code \(code)")
        }
    }

    /// The mirrors have the layout bindings/c/abi_layout.c pins for C.
    func testMirrorLayoutsMatchTheCHeaderPins() {
        XCTAssertEqual(MemoryLayout<ModelInfo>.size, 64)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.kind), 8)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.defaultNormalization), 12)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.defaultDropout), 16)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.formatVersion), 20)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.imageSize), 24)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.inputChannels), 32)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.outputChannels), 40)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.imageChannels), 48)
        XCTAssertEqual(MemoryLayout<ModelInfo>.offset(of: \.classCount), 56)
        XCTAssertEqual(MemoryLayout<AugmentOptions>.size, 32)
        XCTAssertEqual(MemoryLayout<AugmentOptions>.offset(of: \.threads), 24)
        XCTAssertEqual(MemoryLayout<ExpandOptions>.size, 112)
        XCTAssertEqual(MemoryLayout<ExpandOptions>.offset(of: \.editValues), 32)
        XCTAssertEqual(MemoryLayout<ExpandOptions>.offset(of: \.seed), 64)
        XCTAssertEqual(MemoryLayout<ExpandOptions>.offset(of: \.classicOnly), 84)
        XCTAssertEqual(MemoryLayout<ExpandOptions>.offset(of: \.progress), 96)
        XCTAssertEqual(MemoryLayout<ExpandOptions>.offset(of: \.progressUserData), 104)
        XCTAssertEqual(MemoryLayout<MetricsOptionsMirror>.size, 56)
        XCTAssertEqual(MemoryLayout<MetricsOptionsMirror>.offset(of: \.regionsJSON), 40)
        XCTAssertEqual(MemoryLayout<MetricsOptionsMirror>.offset(of: \.skipHausdorff), 52)
        XCTAssertEqual(MemoryLayout<SessionOptions>.size, 24)
        XCTAssertEqual(MemoryLayout<SessionOptions>.offset(of: \.threads), 8)
        XCTAssertEqual(MemoryLayout<SessionOptions>.offset(of: \.memoryLimitBytes), 16)
        XCTAssertEqual(MemoryLayout<GenerateOptions>.size, 24)
        XCTAssertEqual(MemoryLayout<GenerateOptions>.offset(of: \.normalization), 8)
        XCTAssertEqual(MemoryLayout<GenerateOptions>.offset(of: \.dropout), 12)
        XCTAssertEqual(MemoryLayout<GenerateOptions>.offset(of: \.seed), 16)
        XCTAssertEqual(MemoryLayout<SegmentOptions>.size, 16)
        XCTAssertEqual(MemoryLayout<SegmentOptions>.offset(of: \.normalization), 8)
    }

    func testEveryHeaderFunctionIsExported() throws {
        let lib = try MedaugLibrary.shared()
        guard let handle = dlopen(lib.path, RTLD_NOW | RTLD_NOLOAD) else { return XCTFail("\(lib.path) is not loaded") }
        for name in MedaugLibrary.functionNames {
            XCTAssertNotNil(dlsym(handle, name), name)
        }
        // Internal C symbols (prefix md_) stay internal.
        XCTAssertNil(dlsym(handle, "md_sgemm_strips"))
        XCTAssertNil(dlsym(handle, "md_cpu_tier"))
    }
}
