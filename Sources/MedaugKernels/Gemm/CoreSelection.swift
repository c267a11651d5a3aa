import COpenBLAS
import Foundation
import MedaugSupport

/// Picks OpenBLAS's kernels when its own detection failed.
///
/// OpenBLAS before 0.3.25 (Debian 12 ships 0.3.21) falls back to its generic
/// "Prescott" kernels on Intel CPUs newer than it knows (OpenBLAS issue
/// #4267), running sgemm at a third to a fifth of the CPU's speed. When the
/// user has not chosen a core with OPENBLAS_CORETYPE and OpenBLAS reports
/// Prescott on a CPU whose detected tier is avx512 (or avx2), this selects
/// SkylakeX (or Haswell) and re-runs OpenBLAS's dynamic initialisation,
/// before any BLAS call. A small multiply is then checked against a naive
/// loop; if it disagrees the generic kernels are restored.
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

    #if arch(x86_64)
    private static func selectOnX86() {
        let detected = currentCore()
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else {
            summary = "\(detected) (OPENBLAS_CORETYPE)"
            return
        }
        guard detected == "Prescott" else {
            summary = "\(detected) (detected by OpenBLAS)"
            return
        }
        let candidate: String
        switch CPUTier.detected {
        case .avx512: candidate = "SkylakeX"
        case .avx2: candidate = "Haswell"
        case .generic, .neon:
            summary = "Prescott (detected by OpenBLAS)"
            return
        }
        select(candidate)
        if currentCore() != "Prescott" && selfTestPasses() {
            summary = "\(currentCore()) (chosen by medaug: OpenBLAS detected Prescott)"
        } else {
            select("Prescott")
            summary = "Prescott (\(candidate) failed the self-test)"
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
