import MedaugSupport
import XCTest
@testable import MedaugSupport

final class ParallelTests: XCTestCase {
    func testSplitRangeCoversEveryIndexOnce() {
        for count in [0, 1, 7, 64] {
            for parts in 1...5 {
                let ranges = (0..<parts).map { splitRange(count, parts: parts, part: $0) }
                XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count), "count \(count) parts \(parts)")
            }
        }
    }

    func testParallelForRunsEveryIndexOnceAtAnyThreadCount() {
        for threads in [1, 2, 3] {
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 101)
            defer { hits.deallocate() }
            hits.initialize(repeating: 0)
            parallelFor(101, threads: threads) { hits[$0] += 1 }
            XCTAssertEqual(Array(hits), [Int](repeating: 1, count: 101), "threads \(threads)")
        }
    }

    func testCounterRandomDependsOnKeyAndCounterOnly() {
        let a = CounterRandom(seed: 7, stream: 2), b = CounterRandom(seed: 7, stream: 2)
        XCTAssertEqual((0..<100).map { a.bits($0) }, (0..<100).reversed().map { b.bits($0) }.reversed())
        XCTAssertNotEqual(a.bits(0), CounterRandom(seed: 7, stream: 3).bits(0))
        XCTAssertTrue((0..<1000).allSatisfy { a.uniform($0) >= 0 && a.uniform($0) < 1 })
    }
}
