import XCTest

/// medaug_session_create options and errors.
final class SessionFunctionsTests: XCTestCase {
    func testOptions() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        defer { _ = lib.modelFree(model) }

        func create(_ options: UnsafeRawPointer?) -> (Int32, OpaquePointer?) {
            var session: OpaquePointer? = bogusHandle
            let status = lib.sessionCreate(model, options, &session)
            if status == Status.ok { XCTAssertEqual(lib.sessionFree(session), Status.ok) }
            return (status, session)
        }
        func create(_ options: SessionOptions) -> (Int32, OpaquePointer?) {
            var options = options
            return create(&options)
        }

        XCTAssertEqual(create(nil).0, Status.ok, lib.message)
        for threads: Int32 in [0, 1, 2, 256] {
            XCTAssertEqual(create(SessionOptions(threads: threads)).0, Status.ok, "threads \(threads): \(lib.message)")
        }
        for threads: Int32 in [-1, 257, .max, .min] {
            let (status, session) = create(SessionOptions(threads: threads))
            XCTAssertEqual(status, Status.invalidArgument, "threads \(threads)")
            XCTAssertNil(session, "out-handle NULL after failure")
            XCTAssertTrue(lib.message.contains("options->threads is \(threads)"), lib.message)
        }
        for size in [0, 16, 23, 4097, sizeMax] {
            XCTAssertEqual(create(SessionOptions(structSize: size)).0, Status.invalidArgument, "struct_size \(size)")
            XCTAssertTrue(lib.message.contains("options->struct_size is"), lib.message)
        }
        XCTAssertEqual(create(SessionOptions(reserved: 1)).0, Status.unsupported)

        // A newer, longer struct: accepted if the unknown tail is zero.
        var longer = [UInt64](repeating: 0, count: 6)
        longer[0] = 48
        longer[1] = 2  // threads = 2 (little-endian low half), reserved 0
        XCTAssertEqual(longer.withUnsafeBytes { create($0.baseAddress).0 }, Status.ok, lib.message)
        longer[4] = 1
        XCTAssertEqual(longer.withUnsafeBytes { create($0.baseAddress).0 }, Status.unsupported)
        XCTAssertTrue(lib.message.contains("sets byte 32 of a 48-byte struct"), lib.message)

        var session: OpaquePointer? = bogusHandle
        XCTAssertEqual(lib.sessionCreate(nil, nil, &session), Status.invalidArgument)
        XCTAssertNil(session)
        XCTAssertEqual(lib.sessionCreate(model, nil, nil), Status.invalidArgument)
        XCTAssertEqual(lib.message, "medaug_session_create: session is NULL")
    }

    func testMemoryLimitRefusesLargeCallsBeforeAllocating() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        defer { _ = lib.modelFree(model) }
        var options = SessionOptions(memoryLimitBytes: 64 << 10)
        var session: OpaquePointer?
        XCTAssertEqual(lib.sessionCreate(model, &options, &session), Status.ok)
        defer { _ = lib.sessionFree(session) }
        let labels = TestModelFiles.labels(count: 4, side: 32, values: [0, 1, 4])
        var images = [Float](repeating: 0, count: 4 * 2 * 32 * 32)
        XCTAssertEqual(lib.generate(session, labels, 4, 32, 32, nil, &images, images.count), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("memory limit"), lib.message)
    }
}
