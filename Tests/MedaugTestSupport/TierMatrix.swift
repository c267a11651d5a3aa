import MedaugKernels
import MedaugSupport
import XCTest

/// Runs `body` once for every CPU tier this host supports, with the tier
/// forced, and when the tier has a `family` kernel checks that it really
/// ran (a forced tier that silently fell back would test nothing).
public func forEachTier(running family: MicroKernelFamily, file: StaticString = #filePath, line: UInt = #line,
                 _ body: (CPUTier) throws -> Void) throws {
    for tier in CPUTier.supported {
        let before = family.runs(on: tier)
        try CPUTier.withForced(tier) { try body(tier) }
        if tier.runs(family) {
            XCTAssertGreaterThan(family.runs(on: tier), before, "the \(tier) \(family) kernel did not run",
                                 file: file, line: line)
        }
    }
}
