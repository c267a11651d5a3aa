import COpenBLAS
import Foundation
import MedaugSupport

/// Picks OpenBLAS's kernels when its own choice does not fit the CPU.
///
/// Two cases, both decided by `replacement(for:tier:)`:
/// - OpenBLAS before 0.3.25 (Debian 12 ships 0.3.21) falls back to its
///   generic "Prescott" kernels on Intel CPUs newer than it knows (OpenBLAS
///   issue #4267), running sgemm at a third to a fifth of the CPU's speed.
///   On a CPU whose detected tier is avx512 (or avx2) this selects SkylakeX
///   (or Haswell).
/// - OpenBLAS chose kernels that need instructions the CPU-features unit
///   says are missing: an AVX-512 core (SkylakeX, Cooperlake,
///   SapphireRapids) on the avx2 tier, an AVX2 one on generic. OpenBLAS
///   detects its core in its library constructor, before anything else in
///   the process runs, so a CPUID that changes after that (a CPUID-faulting
///   view such as `scripts/benchmarks/cpuid_avx2.c`, which on an AMD Zen 4
///   left OpenBLAS on Cooperlake for a process that sees AVX2 only) would
///   otherwise run instructions the CPU reports it lacks. The unit's answer
///   wins: Haswell on avx2, Prescott on generic.
///
/// Nothing is changed when the user chose a core with OPENBLAS_CORETYPE.
/// The selection re-runs OpenBLAS's dynamic initialisation before any BLAS
/// call; a small multiply is then checked against a naive loop, and if it
/// disagrees the generic kernels are restored.
///
/// The tier is the CPU-features unit's detected one (`CPUTier.detected`,
/// CPUID and the OS's register state, as OpenBLAS itself asks), not
/// `MEDAUG_CPU`'s: a forced tier changes medaug's kernels only.
enum CoreSelection {
    /// What happened, for reports: the core in use and why.
    static var summary = "not initialised"

    static func apply() {
        #if arch(x86_64)
        selectOnX86()
        #else
        summary = "\(currentCore()) (detected by OpenBLAS)"
        #endif
    }

    static func currentCore() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS 0.3.21's x86 cores whose kernels use AVX-512.
    static let avx512Cores: Set = ["SkylakeX", "Cooperlake", "SapphireRapids"]
    /// Its cores whose kernels use AVX2 and FMA (the AVX-512 ones included).
    static let avx2Cores: Set = avx512Cores.union(["Haswell", "Zen"])

    /// The core to select instead of the one OpenBLAS `detected` on a CPU of
    /// `tier`, or nil to keep it. A pure function of its arguments.
    static func replacement(for detected: String, tier: CPUTier) -> String? {
        switch tier {
        case .avx512:
            return detected == "Prescott" ? "SkylakeX" : nil
        case .avx2:
            return detected == "Prescott" || avx512Cores.contains(detected) ? "Haswell" : nil
        case .generic:
            return avx2Cores.contains(detected) ? "Prescott" : nil
        case .neon:
            return nil
        }
    }

    #if arch(x86_64)
    private static func selectOnX86() {
        let detected = currentCore()
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else {
            summary = "\(detected) (OPENBLAS_CORETYPE)"
            return
        }
        let tier = CPUTier.detected
        guard let candidate = replacement(for: detected, tier: tier) else {
            summary = "\(detected) (detected by OpenBLAS)"
            return
        }
        let reason = detected == "Prescott"
            ? "OpenBLAS detected Prescott"
            : "OpenBLAS detected \(detected), which needs more than the CPU's tier, \(tier)"
        select(candidate)
        if currentCore() == candidate && selfTestPasses() {
            summary = "\(candidate) (chosen by medaug: \(reason))"
        } else {
            select("Prescott")
            summary = "Prescott (\(candidate) failed the self-test; \(reason))"
        }
    }

    private static func select(_ core: String) {
        setenv("OPENBLAS_CORETYPE", core, 1)
        gotoblas_dynamic_quit()
        gotoblas_dynamic_init()
        unsetenv("OPENBLAS_CORETYPE")
    }

    /// A 67×53×71 product (odd sizes exercise the kernels' edges) against
    /// a Double loop.
    private static func selfTestPasses() -> Bool {
        let m = 67, n = 53, k = 71
        let a = (0..<(m * k)).map { Float(($0 * 37) % 17) / 8 - 1 }
        let b = (0..<(k * n)).map { Float(($0 * 23) % 13) / 6 - 1 }
        var c = [Float](repeating: 0, count: m * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                if abs(Double(c[i * n + j]) - sum) > 1e-3 * max(1, abs(sum)) { return false }
            }
        }
        return true
    }
    #endif
}
