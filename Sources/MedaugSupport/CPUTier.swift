import MedaugCPU

/// The instruction set medaug's own kernels use (`Sources/MedaugMicroKernels`),
/// detected once per process (`CPU/cpu.c`).
///
/// `MEDAUG_CPU=generic|avx2|avx512|neon` forces a tier the CPU has, to test
/// or compare tiers. A tier the CPU cannot run, or an unknown name, is never
/// silently ignored: `CPUTier.checkEnvironment()` throws, and every entry
/// point that runs kernels (model sessions, augmentation, training, the CLI,
/// the C library) calls it first.
///
/// Only medaug's kernels change tier: OpenBLAS picks its own kernels, so a
/// forced tier proves correctness, not the speed of a real CPU of that tier.
public enum CPUTier: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Portable code, no SIMD of medaug's own.
    case generic
    /// x86-64 with AVX2 and FMA.
    case avx2
    /// x86-64 with AVX-512 F, BW, DQ and VL.
    case avx512
    /// aarch64 Advanced SIMD.
    case neon

    /// The tier in use.
    public static var current: CPUTier { CPUTier(code: md_cpu_tier()) }

    /// The best tier this CPU has.
    public static var detected: CPUTier { CPUTier(code: md_cpu_detected()) }

    /// Every tier this CPU can run, best first (an AVX-512 host: avx512,
    /// avx2, generic).
    public static var supported: [CPUTier] {
        [.avx512, .neon, .avx2, .generic].filter(\.isSupported)
    }

    /// Whether this CPU can run the tier.
    public var isSupported: Bool { md_cpu_supports(code) == 1 }

    public var description: String { rawValue }

    /// Throws when `MEDAUG_CPU` names an unknown tier or one this CPU lacks.
    public static func checkEnvironment() throws(CPUTierError) {
        switch md_cpu_forced_status() {
        case MD_CPU_FORCE_UNKNOWN:
            throw .unknown(forcedName)
        case MD_CPU_FORCE_UNSUPPORTED:
            throw .unsupported(forcedName, detected: detected)
        default:
            return
        }
    }

    /// Runs `body` with `tier` forced for the whole process, then restores
    /// the previous tier. For tests that run a kernel on every tier the host
    /// has; not for use while other threads run kernels.
    public static func withForced<T>(_ tier: CPUTier, _ body: () throws -> T) throws -> T {
        let previous = current
        guard md_cpu_force(tier.code) == 1 else { throw CPUTierError.unsupported(tier.rawValue, detected: detected) }
        defer { md_cpu_force(previous.code) }
        return try body()
    }

    /// The MD_CPU_* number of md_cpu.h.
    package var code: Int32 {
        switch self {
        case .generic: MD_CPU_GENERIC
        case .avx2: MD_CPU_AVX2
        case .avx512: MD_CPU_AVX512
        case .neon: MD_CPU_NEON
        }
    }

    package init(code: Int32) {
        self = CPUTier.allCases.first { $0.code == code } ?? .generic
    }

    private static var forcedName: String { String(cString: md_cpu_forced_name()) }
}

/// `MEDAUG_CPU` asks for a tier medaug cannot use here.
public enum CPUTierError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case unsupported(String, detected: CPUTier)

    public var description: String {
        switch self {
        case .unknown(let name):
            "MEDAUG_CPU=\(name) is not a CPU tier (generic, avx2, avx512, neon)"
        case .unsupported(let name, let detected):
            "MEDAUG_CPU=\(name): this CPU cannot run that tier (it has \(CPUTier.supported.map(\.rawValue).joined(separator: ", ")); detected \(detected))"
        }
    }
}
