import Foundation
import MedaugSupport
import XCTest
@testable import MedaugSupport

final class CPUTierTests: XCTestCase {
    func testDetectedTierIsSupportedAndGenericAlwaysIs() {
        XCTAssertTrue(CPUTier.detected.isSupported)
        XCTAssertTrue(CPUTier.generic.isSupported)
        XCTAssertEqual(CPUTier.supported.first, CPUTier.detected)
        XCTAssertEqual(CPUTier.supported.last, .generic)
        #if arch(x86_64)
        XCTAssertFalse(CPUTier.neon.isSupported)
        // The tier /proc/cpuinfo implies, read independently of cpu.c
        // (MEDAUG_TEST_CPUINFO: another file in its format, for
        // scripts/test-avx2-emulation, under which /proc/cpuinfo stays the host's).
        let cpuinfo = ProcessInfo.processInfo.environment["MEDAUG_TEST_CPUINFO"] ?? "/proc/cpuinfo"
        if let flags = try? String(contentsOfFile: cpuinfo, encoding: .utf8)
            .split(separator: "\n").first(where: { $0.hasPrefix("flags") })?.split(separator: " ").map(String.init) {
            let set = Set(flags)
            let expected: CPUTier = set.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) ? .avx512
                : set.isSuperset(of: ["avx2", "fma"]) ? .avx2 : .generic
            XCTAssertEqual(CPUTier.detected, expected)
        }
        #elseif arch(arm64)
        XCTAssertEqual(CPUTier.detected, .neon)
        #endif
    }

    func testForcingATierChangesTheCurrentOneAndRestoresIt() throws {
        let before = CPUTier.current
        for tier in CPUTier.supported {
            try CPUTier.withForced(tier) { XCTAssertEqual(CPUTier.current, tier) }
            XCTAssertEqual(CPUTier.current, before)
        }
        for tier in CPUTier.allCases where !tier.isSupported {
            XCTAssertThrowsError(try CPUTier.withForced(tier) {}) { error in
                XCTAssertTrue("\(error)".contains("cannot run"), "\(error)")
            }
            XCTAssertEqual(CPUTier.current, before)
        }
    }

    func testMessagesNameTheTiers() {
        XCTAssertEqual("\(CPUTierError.unknown("sse9"))",
                       "MEDAUG_CPU=sse9 is not a CPU tier (generic, avx2, avx512, neon)")
        XCTAssertTrue("\(CPUTierError.unsupported("neon", detected: .avx2))".contains("this CPU cannot run that tier"))
    }
}
