import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The ABI's threading promise and its memory hygiene: 8 threads, each with
/// its own single-threaded session on one shared model, make 100 generate
/// and 100 segment calls and get bitwise what the same calls give one at a
/// time; 1,000 load/run/free cycles leave the resident set where it was.
/// (scripts/sanitize runs the first under ThreadSanitizer.)
final class ConcurrencyAndLeakTests: XCTestCase {
    let side = 32, threadCount = 8, callsPerThread = 100

    struct Call {
        var labels: [Int32]
        var image: [Float]
        var seed: UInt64
    }

    func calls(thread: Int) -> [Call] {
        (0..<callsPerThread).map { i in
            let seed = UInt64(thread * callsPerThread + i + 1)
            return Call(labels: TestModelFiles.labels(count: 1, side: side, values: [0, 1, 4], seed: seed),
                        image: TestModelFiles.images(count: 1, side: 24, channels: 1, seed: seed), seed: seed)
        }
    }

    /// Generated images and segmented label maps of `calls` on `sessions`.
    func run(_ lib: MedaugLibrary, generator: OpaquePointer, segmenter: OpaquePointer, _ calls: [Call]) -> ([[Float]], [[Int32]], [Int32]) {
        var images: [[Float]] = [], labels: [[Int32]] = [], statuses: [Int32] = []
        for call in calls {
            var options = GenerateOptions(normalization: 2, dropout: 2, seed: call.seed)
            var image = [Float](repeating: .nan, count: 2 * side * side)
            statuses.append(lib.generate(generator, call.labels, 1, side, side, &options, &image, image.count))
            var map = [Int32](repeating: -1, count: 24 * 24)
            statuses.append(lib.segment(segmenter, call.image, 1, 1, 24, 24, nil, nil, 0, &map, map.count))
            images.append(image)
            labels.append(map)
        }
        return (images, labels, statuses)
    }

    func testEightThreadsEachWithASessionMatchSequentialCallsBitwise() throws {
        let lib = try MedaugLibrary.shared()
        let generatorModel = try lib.load(TestModelFiles.generator), segmenterModel = try lib.load(TestModelFiles.segmenter)
        defer { _ = lib.modelFree(generatorModel); _ = lib.modelFree(segmenterModel) }
        let work = (0..<threadCount).map { calls(thread: $0) }

        let generator = try lib.makeSession(generatorModel), segmenter = try lib.makeSession(segmenterModel)
        let expected = work.map { run(lib, generator: generator, segmenter: segmenter, $0) }
        _ = lib.sessionFree(generator)
        _ = lib.sessionFree(segmenter)

        /// Each thread stores its results under a lock (the array itself is shared).
        final class Results: @unchecked Sendable {
            private(set) var values: [([[Float]], [[Int32]], [Int32])?]
            private let lock = NSLock()
            init(_ count: Int) { values = Array(repeating: nil, count: count) }
            func store(_ value: ([[Float]], [[Int32]], [Int32]), at index: Int) { lock.withLock { values[index] = value } }
        }
        let results = Results(threadCount)
        // Handles cross threads as addresses (OpaquePointer is not Sendable).
        let (generatorAddress, segmenterAddress) = (Int(bitPattern: generatorModel), Int(bitPattern: segmenterModel))
        let group = DispatchGroup()
        for t in 0..<threadCount {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let generatorModel = OpaquePointer(bitPattern: generatorAddress),
                      let segmenterModel = OpaquePointer(bitPattern: segmenterAddress),
                      let g = try? lib.makeSession(generatorModel), let s = try? lib.makeSession(segmenterModel) else { return }
                results.store(self.run(lib, generator: g, segmenter: s, work[t]), at: t)
                _ = lib.sessionFree(g)
                _ = lib.sessionFree(s)
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 600), .success)
        for t in 0..<threadCount {
            let got = try XCTUnwrap(results.values[t], "thread \(t) could not create its sessions")
            XCTAssertTrue(got.2.allSatisfy { $0 == Status.ok }, "thread \(t): a call failed")
            XCTAssertTrue(got.0 == expected[t].0, "thread \(t): generated images differ from sequential calls")
            XCTAssertTrue(got.1 == expected[t].1, "thread \(t): label maps differ from sequential calls")
        }
    }

    /// Resident set size in bytes (/proc/self/statm).
    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testThousandLoadRunFreeCyclesDoNotGrowTheResidentSet() throws {
        let lib = try MedaugLibrary.shared()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: TestModelFiles.generator))
        let labels = TestModelFiles.labels(count: 1, side: side, values: [0, 1, 4])
        var image = [Float](repeating: 0, count: 2 * side * side)
        func cycle(_ index: Int) throws {
            var model: OpaquePointer?
            // Alternate file and memory loading; run; free everything.
            let status = index % 2 == 0 ? lib.modelLoadFile(TestModelFiles.generator, &model)
                : bytes.withUnsafeBytes { lib.modelLoadMemory($0.baseAddress, $0.count, &model) }
            XCTAssertEqual(status, Status.ok)
            let session = try lib.makeSession(try XCTUnwrap(model))
            XCTAssertEqual(lib.generate(session, labels, 1, side, side, nil, &image, image.count), Status.ok)
            var json: UnsafeMutablePointer<CChar>?
            XCTAssertEqual(lib.modelConfigJSON(model, &json), Status.ok)
            lib.stringFree(json)
            XCTAssertEqual(lib.sessionFree(session), Status.ok)
            XCTAssertEqual(lib.modelFree(model), Status.ok)
        }
        for i in 0..<100 { try cycle(i) }            // warm-up: allocator pools, thread-local state
        let before = residentBytes()
        for i in 0..<1000 { try cycle(i) }
        let growth = residentBytes() - before
        XCTAssertLessThan(growth, 1 << 20, "1,000 cycles grew the resident set by \(growth) bytes")
        print("ConcurrencyAndLeakTests: 1,000 load/run/free cycles changed RSS by \(growth) bytes")
    }
}
