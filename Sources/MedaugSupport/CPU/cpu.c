#include "md_cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"generic", "avx2", "avx512", "neon"};

const char *md_cpu_tier_name(int tier) {
    return tier >= 0 && tier < (int)(sizeof names / sizeof *names) ? names[tier] : NULL;
}

static int detect(void) {
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the registers
    // (XCR0), so a tier reported here can run.
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return MD_CPU_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return MD_CPU_AVX2;
    return MD_CPU_GENERIC;
#elif defined(__aarch64__)
    return MD_CPU_NEON;
#else
    return MD_CPU_GENERIC;
#endif
}

int md_cpu_supports(int tier) {
    int best = md_cpu_detected();
    if (tier == MD_CPU_GENERIC) return 1;
    if (best == MD_CPU_NEON) return tier == MD_CPU_NEON;
    return (tier == MD_CPU_AVX2 || tier == MD_CPU_AVX512) && tier <= best;
}

// -1 until the first call; then the tier in use and MEDAUG_CPU's status.
static atomic_int active = -1;
static atomic_int forced_status = MD_CPU_FORCE_NONE;

int md_cpu_detected(void) {
    static atomic_int detected = -1;
    int tier = atomic_load_explicit(&detected, memory_order_relaxed);
    if (tier < 0) {
        tier = detect();
        atomic_store_explicit(&detected, tier, memory_order_relaxed);
    }
    return tier;
}

// MEDAUG_CPU as read (cut to fit), for messages.
static char forced_name[32];

static int initialise(void) {
    int tier = md_cpu_detected(), status = MD_CPU_FORCE_NONE;
    const char *wanted = getenv("MEDAUG_CPU");
    if (wanted != NULL && *wanted != '\0') {
        strncpy(forced_name, wanted, sizeof forced_name - 1);
        status = MD_CPU_FORCE_UNKNOWN;
        for (int t = 0; t < (int)(sizeof names / sizeof *names); t++) {
            if (strcmp(wanted, names[t]) != 0) continue;
            status = md_cpu_supports(t) ? MD_CPU_FORCE_OK : MD_CPU_FORCE_UNSUPPORTED;
            if (status == MD_CPU_FORCE_OK) tier = t;
        }
    }
    atomic_store(&forced_status, status);
    // Two threads may race here; both compute the same values.
    int expected = -1;
    atomic_compare_exchange_strong(&active, &expected, tier);
    return atomic_load(&active);
}

int md_cpu_tier(void) {
    int tier = atomic_load_explicit(&active, memory_order_relaxed);
    return tier >= 0 ? tier : initialise();
}

int md_cpu_forced_status(void) {
    md_cpu_tier();
    return atomic_load(&forced_status);
}

const char *md_cpu_forced_name(void) {
    md_cpu_tier();
    return forced_name;
}

int md_cpu_force(int tier) {
    md_cpu_tier();
    if (!md_cpu_supports(tier)) return 0;
    atomic_store(&active, tier);
    return 1;
}
