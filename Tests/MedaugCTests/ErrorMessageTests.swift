import XCTest

/// medaug_last_error: per thread, "" after success, never NULL, valid
/// until the thread's next status-returning call.
final class ErrorMessageTests: XCTestCase {
    func testMessageIsPerThreadAndClearedBySuccess() throws {
        let lib = try MedaugLibrary.shared()
        var model: OpaquePointer?
        XCTAssertEqual(lib.modelLoadFile(nil, &model), Status.invalidArgument)
        XCTAssertEqual(lib.message, "medaug_model_load_file: path is NULL")

        // Another thread has its own (empty) message and does not touch ours.
        let other = Shared("unset")
        let finished = DispatchSemaphore(value: 0)
        Thread {
            other.update { $0 = String(cString: lib.lastError()!) }
            var model: OpaquePointer?
            _ = lib.modelLoadFile("/nonexistent/medaug.safetensors", &model)
            finished.signal()
        }.start()
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(other.current, "")
        XCTAssertEqual(lib.message, "medaug_model_load_file: path is NULL")

        // Functions that return no status leave the message alone.
        _ = lib.version(); _ = lib.statusString(3); lib.stringFree(nil)
        XCTAssertEqual(lib.message, "medaug_model_load_file: path is NULL")

        // A successful call clears it.
        XCTAssertEqual(lib.modelFree(nil), Status.ok)
        XCTAssertEqual(lib.message, "")
    }

    func testMessagesOnManyThreadsDoNotMix() throws {
        let lib = try MedaugLibrary.shared()
        let group = DispatchGroup()
        let mismatches = Shared<[String]>([])
        for index in 0..<8 {
            group.enter()
            Thread {
                for round in 0..<200 {
                    var model: OpaquePointer?
                    let path = "/nonexistent/\(index)-\(round).safetensors"
                    _ = lib.modelLoadFile(path, &model)
                    let message = String(cString: lib.lastError()!)
                    if !message.contains(path) {
                        mismatches.update { $0.append(message) }
                    }
                }
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(mismatches.current, [])
    }
}
