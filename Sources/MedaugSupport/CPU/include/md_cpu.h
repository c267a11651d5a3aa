// The CPU tier medaug's own kernels use, detected once per process.
//
// A tier is an instruction set the micro-kernels have code for. Every kernel
// entry point asks md_cpu_tier() and runs its code for that tier, or returns
// 0 so that its caller takes the portable path. MEDAUG_CPU=generic|avx2|
// avx512|neon forces a tier the CPU has (to test or compare tiers); a name
// this CPU cannot run is never silently ignored: md_cpu_forced_status()
// reports it, and the Swift layer (CPUTier) refuses to run with it.
//
// Internal to medaug (prefix md_): not part of include/medaug.h.
#ifndef MD_CPU_H
#define MD_CPU_H

#ifdef __cplusplus
extern "C" {
#endif

// Tiers. On x86-64 avx512 ⊃ avx2 ⊃ generic; on aarch64 neon ⊃ generic.
#define MD_CPU_GENERIC 0 // portable C / Swift, no SIMD of medaug's own
#define MD_CPU_AVX2 1    // x86-64 with AVX2 and FMA
#define MD_CPU_AVX512 2  // x86-64 with AVX-512 F, BW, DQ and VL
#define MD_CPU_NEON 3    // aarch64 Advanced SIMD (always present there)

// What MEDAUG_CPU asked for, as md_cpu_forced_status() reports it.
#define MD_CPU_FORCE_NONE 0        // unset: the detected tier is used
#define MD_CPU_FORCE_OK 1          // set to a tier this CPU has: it is used
#define MD_CPU_FORCE_UNKNOWN 2     // not one of generic, avx2, avx512, neon
#define MD_CPU_FORCE_UNSUPPORTED 3 // a tier this CPU does not have

// The best tier this CPU (and OS) support.
int md_cpu_detected(void);

// The tier kernels use: MEDAUG_CPU's when it names a supported tier, or the
// one set by md_cpu_force, else the detected one.
int md_cpu_tier(void);

// 1 when this CPU can run `tier`, else 0.
int md_cpu_supports(int tier);

// MEDAUG_CPU as read at the first call (MD_CPU_FORCE_*).
int md_cpu_forced_status(void);

// MEDAUG_CPU's value as read at the first call ("" when unset).
const char *md_cpu_forced_name(void);

// Sets the tier for the whole process (tests run every kernel on every tier
// the host has). Returns 1, or 0 (nothing changed) when the CPU cannot run
// `tier`. Not for use while kernels run on other threads.
int md_cpu_force(int tier);

// "generic", "avx2", "avx512", "neon", or NULL for another number.
const char *md_cpu_tier_name(int tier);

#ifdef __cplusplus
}
#endif
#endif
