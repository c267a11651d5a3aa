import Foundation
import MedaugModels
import XCTest

/// medaug_model_load_file/_memory, _info, _label_values, _config_json,
/// medaug_string_free, and their error paths.
final class ModelFunctionsTests: XCTestCase {
    func testLoadFileDescribesTheGenerator() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        defer { XCTAssertEqual(lib.modelFree(model), Status.ok) }
        let (status, info) = lib.info(model)
        XCTAssertEqual(status, Status.ok, lib.message)
        XCTAssertEqual(info.structSize, 64, "struct_size is the caller's, untouched")
        XCTAssertEqual(info.kind, 1)
        XCTAssertEqual(info.defaultNormalization, 1, "running, as recorded")
        XCTAssertEqual(info.defaultDropout, 1, "off, as recorded")
        XCTAssertEqual(info.formatVersion, 1)
        XCTAssertEqual(info.imageSize, 32)
        XCTAssertEqual(info.inputChannels, 3)
        XCTAssertEqual(info.outputChannels, 2)
        XCTAssertEqual(info.imageChannels, 2)
        XCTAssertEqual(info.classCount, 3)
        XCTAssertEqual(lib.message, "")

        var values = [Int32](repeating: -1, count: 4)
        XCTAssertEqual(lib.modelLabelValues(model, &values, 4), Status.ok, lib.message)
        XCTAssertEqual(values, [0, 1, 4, -1])

        var json: UnsafeMutablePointer<CChar>?
        XCTAssertEqual(lib.modelConfigJSON(model, &json), Status.ok, lib.message)
        let text = String(cString: try XCTUnwrap(json))
        lib.stringFree(json)
        XCTAssertEqual(try ModelConfig(json: text), TestModelFiles.generatorConfig)
        XCTAssertEqual(text, TestModelFiles.generatorConfig.jsonString())
    }

    func testSegmenterAndDiscriminatorInfo() throws {
        let lib = try MedaugLibrary.shared()
        let segmenter = try lib.load(TestModelFiles.segmenter)
        let discriminator = try lib.load(TestModelFiles.discriminator)
        defer { _ = lib.modelFree(segmenter); _ = lib.modelFree(discriminator) }
        let s = lib.info(segmenter).info
        XCTAssertEqual([s.kind, Int32(s.imageSize), Int32(s.inputChannels), Int32(s.outputChannels), Int32(s.imageChannels), Int32(s.classCount)],
                       [3, 24, 1, 3, 1, 3])
        let d = lib.info(discriminator).info
        XCTAssertEqual([d.kind, Int32(d.imageSize), Int32(d.inputChannels), Int32(d.outputChannels), Int32(d.imageChannels), Int32(d.classCount)],
                       [2, 64, 3, 1, 1, 2])
        var values = [Int32](repeating: 0, count: 2)
        XCTAssertEqual(lib.modelLabelValues(discriminator, &values, 2), Status.ok)
        XCTAssertEqual(values, [0, 7])
    }

    func testLoadMemoryMatchesLoadFileAndCopiesTheBytes() throws {
        let lib = try MedaugLibrary.shared()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestModelFiles.generator)))
        var model: OpaquePointer? = bogusHandle
        XCTAssertEqual(lib.modelLoadMemory(bytes, bytes.count, &model), Status.ok, lib.message)
        // The caller's buffer may change or go once the call has returned.
        for i in bytes.indices { bytes[i] = 0xFF }
        bytes = []
        let handle = try XCTUnwrap(model)
        XCTAssertNotEqual(handle, bogusHandle)
        XCTAssertEqual(lib.info(handle).info.imageSize, 32)
        var json: UnsafeMutablePointer<CChar>?
        XCTAssertEqual(lib.modelConfigJSON(handle, &json), Status.ok)
        XCTAssertEqual(String(cString: json!), TestModelFiles.generatorConfig.jsonString())
        lib.stringFree(json)
        XCTAssertEqual(lib.modelFree(handle), Status.ok)
    }

    func testLoadFileErrorsLeaveTheHandleNull() throws {
        let lib = try MedaugLibrary.shared()
        func check(_ path: String?, _ expected: Int32, _ fragment: String, line: UInt = #line) {
            var model: OpaquePointer? = bogusHandle
            let status = path.map { lib.modelLoadFile($0, &model) } ?? lib.modelLoadFile(nil, &model)
            XCTAssertEqual(status, expected, lib.message, line: line)
            XCTAssertNil(model, "out-handle is NULL after a failure", line: line)
            XCTAssertTrue(lib.message.contains(fragment), "\(lib.message) should contain \(fragment)", line: line)
        }
        check(nil, Status.invalidArgument, "path is NULL")
        check("/nonexistent/g.safetensors", Status.ioError, "No such file")
        check("", Status.ioError, "cannot read")
        check(TestModelFiles.folder, Status.ioError, "not a regular file")
        check(TestModelFiles.file("short.safetensors", Data([1, 2, 3])), Status.formatError, "shorter than the 8-byte")
        check(TestModelFiles.file("garbage.safetensors", Data(repeating: 0xAB, count: 4096)), Status.formatError, "malformed")
        let header = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        var noMetadata = Data(withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) })
        noMetadata.append(contentsOf: Array(header.utf8) + [0, 0, 0, 0])
        check(TestModelFiles.file("plain.safetensors", noMetadata), Status.formatError, "not a medaug model file")
        let original = try Data(contentsOf: URL(fileURLWithPath: TestModelFiles.generator))
        check(TestModelFiles.file("truncated.safetensors", original.prefix(original.count - 100)), Status.formatError, "lie outside")
        var latin1: [CChar] = Array("/tmp/caf".utf8CString.dropLast()) + [CChar(bitPattern: 0xE9), 0]
        var model: OpaquePointer? = bogusHandle
        XCTAssertEqual(lib.modelLoadFile(&latin1, &model), Status.invalidArgument)
        XCTAssertEqual(lib.message, "medaug_model_load_file: path is not valid UTF-8")
        XCTAssertNil(model)
        XCTAssertEqual(lib.modelLoadFile(TestModelFiles.generator, nil), Status.invalidArgument)
        XCTAssertEqual(lib.message, "medaug_model_load_file: model is NULL")
    }

    func testLoadMemoryErrors() throws {
        let lib = try MedaugLibrary.shared()
        let bytes = [UInt8](repeating: 0, count: 16)
        func check(_ status: Int32, _ expected: Int32, _ fragment: String, _ model: OpaquePointer?, line: UInt = #line) {
            XCTAssertEqual(status, expected, lib.message, line: line)
            XCTAssertNil(model, line: line)
            XCTAssertTrue(lib.message.contains(fragment), "\(lib.message) should contain \(fragment)", line: line)
        }
        var model: OpaquePointer? = bogusHandle
        check(lib.modelLoadMemory(nil, 16, &model), Status.invalidArgument, "bytes is NULL", model)
        model = bogusHandle
        check(lib.modelLoadMemory(bytes, 0, &model), Status.invalidArgument, "size is 0", model)
        model = bogusHandle
        check(lib.modelLoadMemory(bytes, 5, &model), Status.formatError, "shorter than the 8-byte", model)
        model = bogusHandle
        check(lib.modelLoadMemory(bytes, 16, &model), Status.formatError, "header length 0", model)
        model = bogusHandle
        check(lib.modelLoadMemory(bytes, sizeMax, &model), Status.invalidArgument, "larger than any valid size", model)
        // Not readable, but refused before the bytes are touched.
        model = bogusHandle
        check(lib.modelLoadMemory(bytes, 1 << 62, &model), Status.invalidArgument, "MEDAUG_LIMIT_MODEL_BYTES", model)
        XCTAssertEqual(lib.modelLoadMemory(bytes, 16, nil), Status.invalidArgument)
    }

    func testInfoLabelValuesAndJSONErrors() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        defer { _ = lib.modelFree(model) }

        var info = ModelInfo()
        XCTAssertEqual(lib.modelInfo(nil, &info), Status.invalidArgument)
        XCTAssertEqual(lib.message, "medaug_model_info: model is NULL")
        XCTAssertEqual(lib.modelInfo(model, nil), Status.invalidArgument)
        XCTAssertEqual(lib.message, "medaug_model_info: info is NULL")
        for size in [0, 8, 63, 4097, sizeMax] {
            info = ModelInfo()
            info.structSize = size
            XCTAssertEqual(lib.modelInfo(model, &info), Status.invalidArgument, "struct_size \(size)")
            XCTAssertTrue(lib.message.contains("struct_size is \(UInt(bitPattern: size))"), lib.message)
            XCTAssertEqual(info.kind, 0, "untouched on failure")
        }
        // A larger (newer) struct: known fields filled, the rest zeroed.
        var larger = [UInt64](repeating: .max, count: 12)
        larger[0] = 96
        XCTAssertEqual(larger.withUnsafeMutableBytes { lib.modelInfo(model, $0.baseAddress) }, Status.ok, lib.message)
        XCTAssertEqual(larger[0], 96)
        XCTAssertEqual(larger[3], 32, "image_size")
        XCTAssertEqual(Array(larger[8...]), [0, 0, 0, 0])
        // Misaligned.
        var raw = [UInt8](repeating: 0, count: 80)
        let status = raw.withUnsafeMutableBytes { buffer -> Int32 in
            (buffer.baseAddress! + 1).storeBytes(of: 64, as: UInt8.self)
            return lib.modelInfo(model, buffer.baseAddress! + 1)
        }
        XCTAssertEqual(status, Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("not aligned"), lib.message)

        var values = [Int32](repeating: 9, count: 3)
        XCTAssertEqual(lib.modelLabelValues(model, &values, 2), Status.bufferTooSmall)
        XCTAssertEqual(lib.message, "medaug_model_label_values: values holds 2 elements, 3 are needed; nothing was written")
        XCTAssertEqual(values, [9, 9, 9])
        XCTAssertEqual(lib.modelLabelValues(model, nil, 3), Status.invalidArgument)
        XCTAssertEqual(lib.modelLabelValues(nil, &values, 3), Status.invalidArgument)

        var json: UnsafeMutablePointer<CChar>? = UnsafeMutablePointer(bitPattern: 0x10)
        XCTAssertEqual(lib.modelConfigJSON(nil, &json), Status.invalidArgument)
        XCTAssertNil(json, "out-string is NULL after a failure")
        XCTAssertEqual(lib.modelConfigJSON(model, nil), Status.invalidArgument)
        lib.stringFree(nil)
    }
}
