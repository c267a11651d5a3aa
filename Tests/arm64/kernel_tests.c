// The NEON tier of the micro-kernels against scalar references, on odd
// shapes, run under qemu-aarch64 by scripts/test-arm64. Prints one line per
// failure and ends with "N passed, M failed"; exits 1 on any failure.
//
// This file is the harness; the tests are in gemm_tests.c,
// winograd_tests.c and elementwise_tests.c.
#include "kernel_tests.h"

static int passed, failed;

void check(int ok, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

static unsigned long long state = 0x9E3779B97F4A7C15ull;
float random_float(void) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (float)((state >> 40) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

int main(void) {
    check(md_cpu_detected() == MD_CPU_NEON, "the detected tier is neon");
    check(md_cpu_tier() == MD_CPU_NEON, "the tier in use is neon");
    test_strips();
    test_activations();
    test_warp();
    test_winograd_f23();
    test_winograd_f43();
    test_winograd_f22();
    test_winograd_f42();
    test_adam();
    test_panels();
    test_blocks();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
