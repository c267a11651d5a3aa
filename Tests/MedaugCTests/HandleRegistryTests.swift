import XCTest

/// Freed, foreign and wrong-kind handles are reported, not dereferenced.
final class HandleRegistryTests: XCTestCase {
    func testFreeAcceptsNullAndDetectsDoubleFree() throws {
        let lib = try MedaugLibrary.shared()
        XCTAssertEqual(lib.modelFree(nil), Status.ok)
        XCTAssertEqual(lib.sessionFree(nil), Status.ok)
        let model = try lib.load(TestModelFiles.generator)
        let session = try lib.makeSession(model)
        XCTAssertEqual(lib.sessionFree(session), Status.ok)
        XCTAssertEqual(lib.sessionFree(session), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("is not a live session handle (already freed, or not from medaug)"), lib.message)
        XCTAssertEqual(lib.modelFree(model), Status.ok)
        XCTAssertEqual(lib.modelFree(model), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("is not a live model handle"), lib.message)
        // Every function refuses the freed handles.
        XCTAssertEqual(lib.info(model).status, Status.invalidArgument)
        var count = 0
        XCTAssertEqual(lib.generateOutputCount(session, 1, &count), Status.invalidArgument)
        var created: OpaquePointer? = bogusHandle
        XCTAssertEqual(lib.sessionCreate(model, nil, &created), Status.invalidArgument)
        XCTAssertNil(created)
    }

    func testForeignAndWrongKindPointersAreRefused() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        let session = try lib.makeSession(model)
        defer { _ = lib.sessionFree(session); _ = lib.modelFree(model) }

        var local = 0
        let foreign = withUnsafeMutablePointer(to: &local) { OpaquePointer($0) }
        XCTAssertEqual(lib.modelFree(foreign), Status.invalidArgument)
        XCTAssertEqual(lib.sessionFree(foreign), Status.invalidArgument)
        XCTAssertEqual(lib.info(foreign).status, Status.invalidArgument)
        XCTAssertEqual(lib.modelFree(bogusHandle), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("0xdeadbee0 is not a live model handle"), lib.message)

        XCTAssertEqual(lib.modelFree(session), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("is a session handle, not a model handle"), lib.message)
        XCTAssertEqual(lib.sessionFree(model), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("is a model handle, not a session handle"), lib.message)
        var count = 0
        XCTAssertEqual(lib.generateOutputCount(model, 1, &count), Status.invalidArgument)
        // Both handles still work after the refused calls.
        XCTAssertEqual(lib.info(model).status, Status.ok)
        XCTAssertEqual(lib.generateOutputCount(session, 1, &count), Status.ok)
    }

    func testSessionOutlivesItsModelHandle() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        let session = try lib.makeSession(model)
        XCTAssertEqual(lib.modelFree(model), Status.ok)
        let labels = TestModelFiles.labels(count: 1, side: 32, values: [0, 1, 4])
        var image = [Float](repeating: .nan, count: 2 * 32 * 32)
        XCTAssertEqual(lib.generate(session, labels, 1, 32, 32, nil, &image, image.count), Status.ok, lib.message)
        XCTAssertTrue(image.allSatisfy { $0.isFinite && abs($0) <= 1 })
        XCTAssertEqual(lib.sessionFree(session), Status.ok)
    }

    /// A second thread's call on a busy session is refused, not run
    /// concurrently; the busy thread's results are unaffected.
    func testConcurrentUseOfOneSessionIsRefused() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        let session = try lib.makeSession(model)
        defer { _ = lib.modelFree(model) }
        let labels = TestModelFiles.labels(count: 8, side: 32, values: [0, 1, 4])
        var reference = [Float](repeating: 0, count: 8 * 2 * 32 * 32)
        XCTAssertEqual(lib.generate(session, labels, 8, 32, 32, nil, &reference, reference.count), Status.ok)

        let finished = DispatchSemaphore(value: 0)
        // (successes, wrong results, unexpected messages)
        let outcome = Shared((0, 0, [String]()))
        let busy = SendableHandle(pointer: session)
        let expected = reference
        Thread {
            var output = [Float](repeating: 0, count: expected.count)
            for _ in 0..<10_000 where outcome.current.0 < 20 {
                let status = lib.generate(busy.pointer, labels, 8, 32, 32, nil, &output, output.count)
                if status == Status.ok {
                    outcome.update { $0.0 += 1; if output != expected { $0.1 += 1 } }
                } else if !lib.message.contains("in use by another thread") {
                    outcome.update { $0.2.append(lib.message) }
                    break
                }
            }
            finished.signal()
        }.start()
        var refused = 0, probes = 0
        var scratch = [Float](repeating: 0, count: reference.count)
        while finished.wait(timeout: .now()) == .timedOut {
            // n = 0 is invalid, so a probe that gets the session does no work.
            probes += 1
            if lib.generate(session, labels, 0, 32, 32, nil, &scratch, scratch.count) == Status.invalidArgument,
               lib.message.contains("in use by another thread") {
                refused += 1
            }
            if refused == 0 && probes % 64 == 0 { usleep(100) }
        }
        let (successes, wrong, unexpected) = outcome.current
        XCTAssertEqual(unexpected, [])
        XCTAssertEqual(successes, 20)
        XCTAssertEqual(wrong, 0, "results of the busy thread are unaffected")
        XCTAssertGreaterThan(refused, 0, "\(probes) probes during 20 runs")
        XCTAssertEqual(lib.sessionFree(session), Status.ok, lib.message)
        XCTAssertEqual(lib.sessionFree(session), Status.invalidArgument, "freed by the line above")
    }
}
