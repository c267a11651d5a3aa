// The NEON tier of the micro-kernels against scalar references, on odd
// shapes, run under qemu-aarch64 by scripts/test-arm64. Prints one line per
// failure and ends with "N passed, M failed"; exits 1 on any failure.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_cpu.h"
#include "md_microkernels.h"

static int passed, failed;

static void check(int ok, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

static unsigned long long state = 0x9E3779B97F4A7C15ull;
static float random_float(void) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (float)((state >> 40) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

// Every element one fused multiply-add chain over p in order: the NEON
// kernel must give these bits exactly.
static void reference_gemm(int m, int n, int k, const float *a, const float *b, float *c) {
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float acc = 0.0f;
            for (int p = 0; p < k; p++) acc = fmaf(a[i * k + p], b[p * n + j], acc);
            c[i * n + j] = acc;
        }
    }
}

static void test_strips(void) {
    static const int shapes[][3] = {{1, 1, 1}, {1, 17, 3}, {7, 33, 5}, {8, 64, 9}, {13, 70, 31}, {6, 16, 1},
                                    {32, 31, 288}, {17, 100, 3}, {9, 15, 20}, {5, 48, 7}, {3, 1, 300}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        int strips = (n + 31) / 32;
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
        float *c = malloc(sizeof(float) * m * n), *expected = malloc(sizeof(float) * m * n);
        float *packed = calloc((size_t)strips * 32 * k, sizeof(float));
        for (int i = 0; i < m * k; i++) a[i] = random_float();
        for (int i = 0; i < k * n; i++) b[i] = random_float();
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) packed[((j / 32) * k + p) * 32 + j % 32] = b[p * n + j];
        reference_gemm(m, n, k, a, b, expected);
        char what[96];
        long before = md_kernel_runs(MD_FAMILY_STRIPS, MD_CPU_NEON);
        for (int i = 0; i < m * n; i++) c[i] = NAN;
        snprintf(what, sizeof what, "strips m %d n %d k %d", m, n, k);
        check(md_sgemm_strips(m, n, k, a, k, b, n, c, n) == 1 && memcmp(c, expected, sizeof(float) * m * n) == 0,
              what);
        for (int i = 0; i < m * n; i++) c[i] = NAN;
        snprintf(what, sizeof what, "packed strips m %d n %d k %d", m, n, k);
        check(md_sgemm_packed_strips(m, n, k, a, k, packed, c, n) == 1 &&
                  memcmp(c, expected, sizeof(float) * m * n) == 0,
              what);
        snprintf(what, sizeof what, "the NEON strips kernel ran (m %d n %d k %d)", m, n, k);
        check(md_kernel_runs(MD_FAMILY_STRIPS, MD_CPU_NEON) == before + 2, what);
        free(a), free(b), free(c), free(expected), free(packed);
    }
}

int main(void) {
    check(md_cpu_detected() == MD_CPU_NEON, "the detected tier is neon");
    check(md_cpu_tier() == MD_CPU_NEON, "the tier in use is neon");
    test_strips();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
