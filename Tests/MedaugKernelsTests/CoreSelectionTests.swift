import XCTest
import MedaugSupport
@testable import MedaugKernels

final class CoreSelectionTests: XCTestCase {
    /// OpenBLAS's generic fallback is replaced by the tier's core, an AVX-512
    /// core on a CPU the features unit calls avx2 by Haswell, an AVX2 one on
    /// generic by Prescott; a core that fits the tier is kept.
    func testReplacementFollowsTheCPUTier() {
        let cases: [(String, CPUTier, String?)] = [
            ("Prescott", .avx512, "SkylakeX"), ("Prescott", .avx2, "Haswell"), ("Prescott", .generic, nil),
            ("Cooperlake", .avx2, "Haswell"), ("SkylakeX", .avx2, "Haswell"), ("SapphireRapids", .avx2, "Haswell"),
            ("Haswell", .generic, "Prescott"), ("Zen", .generic, "Prescott"), ("SkylakeX", .generic, "Prescott"),
            ("Cooperlake", .avx512, nil), ("SkylakeX", .avx512, nil), ("Zen", .avx512, nil),
            ("Zen", .avx2, nil), ("Haswell", .avx2, nil), ("Sandybridge", .generic, nil), ("NEOVERSEN1", .neon, nil),
        ]
        for (detected, tier, expected) in cases {
            XCTAssertEqual(CoreSelection.replacement(for: detected, tier: tier), expected, "\(detected) on \(tier)")
        }
    }

    /// The core in use fits the CPU: whatever OpenBLAS detected, after the
    /// selection no replacement is due (unless the user chose the core).
    func testTheCoreInUseFitsTheDetectedTier() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil, "the user chose the core")
        _ = Gemm.backendDescription
        let core = CoreSelection.currentCore()
        XCTAssertNil(CoreSelection.replacement(for: core, tier: CPUTier.detected), "\(core): \(CoreSelection.summary)")
    }
}
