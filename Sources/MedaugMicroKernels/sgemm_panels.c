// The panels GEMM, AVX-512 tier, its entry point (dispatching on the CPU
// tier; AVX2 in sgemm_panels_avx2.c, NEON in sgemm_panels_neon.c) and the
// packing of A.
//
// For products with few columns (a deep layer's 1 to 16 pixels at batch 1)
// the strips kernel is bound by its scalar broadcasts of A, the weights:
// 8 rows × 1 float per step, about 14 GB/s of weights on 2 threads. Here A
// is packed at load in panels of 16 rows, k-major, so one vector load
// brings 16 rows of one step and the columns are broadcast from B instead:
// measured on AMD EPYC (AVX-512, 2 threads), 512×8192 weights times 1 to 4
// columns stream at 76–89 GB/s against 14 (6× faster), 16 columns at 23
// against 13.
//
// Each element of C is one fused multiply-add chain over p = 0..k-1 in
// order from 0, as in the strips kernel, so the two give the same bits and
// an engine may use either for a layer (Gemm.multiplyColumnExact).
#include "md_microkernels.h"
#include "sgemm_panels.h"

void md_pack_panels(int m, int k, const float *a, int lda, float *panels) {
    int count = (m + 15) / 16;
    for (int r = 0; r < count; r++) {
        float *panel = panels + (long)r * 16 * k;
        for (int l = 0; l < 16; l++) {
            int row = 16 * r + l;
            for (int p = 0; p < k; p++) panel[(long)p * 16 + l] = row < m ? a[(long)row * lda + p] : 0.0f;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

// A panels_tile_fn of G panels × J columns.
#define PANEL_TILE(G, J)                                                                              \
    static TARGET void tile_##G##_##J(int k, int p0, int p1, const float *a, const float *b, int ldb,  \
                                       long strip_stride, int j0, float *sums, int jj0) {               \
        __m512 acc[G][J];                                                                             \
        for (int g = 0; g < G; g++)                                                                   \
            for (int j = 0; j < J; j++)                                                               \
                acc[g][j] = p0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + ((jj0 + j) * G + g) * 16); \
        for (int p = p0; p < p1; p++) {                                                               \
            const float *row = panels_b(b, ldb, strip_stride, p, j0);                                 \
            __m512 x[G];                                                                              \
            for (int g = 0; g < G; g++) x[g] = _mm512_loadu_ps(a + (long)g * 16 * k + (long)p * 16); \
            for (int j = 0; j < J; j++) {                                                             \
                __m512 y = _mm512_set1_ps(row[j]);                                                    \
                for (int g = 0; g < G; g++) acc[g][j] = _mm512_fmadd_ps(x[g], y, acc[g][j]);          \
            }                                                                                         \
        }                                                                                             \
        for (int g = 0; g < G; g++)                                                                   \
            for (int j = 0; j < J; j++) _mm512_storeu_ps(sums + ((jj0 + j) * G + g) * 16, acc[g][j]); \
    }

PANEL_TILE(4, 1)
PANEL_TILE(4, 2)
PANEL_TILE(4, 3)
PANEL_TILE(4, 4)
PANEL_TILE(4, 5)
PANEL_TILE(4, 6)
PANEL_TILE(1, 1)
PANEL_TILE(1, 2)
PANEL_TILE(1, 3)
PANEL_TILE(1, 4)
PANEL_TILE(1, 5)
PANEL_TILE(1, 6)

static panels_tile_fn const tiles4[7] = {0, tile_4_1, tile_4_2, tile_4_3, tile_4_4, tile_4_5, tile_4_6};
static panels_tile_fn const tiles1[7] = {0, tile_1_1, tile_1_2, tile_1_3, tile_1_4, tile_1_5, tile_1_6};

// Four panels at a time (four independent chains per column hide the FMA
// latency when there is one column), then single panels.
static void sgemm_panels_avx512(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                                float *c, int ldc) {
    float sums[PANELS_CHUNK * 4 * 16];
    panels_run(m, n, k, a, b, ldb, strip_stride, c, ldc, 4, tiles4, tiles1, sums);
}
#endif

int md_sgemm_panels(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride, float *c,
                    int ldc) {
    int tier = md_cpu_tier();
    switch (tier) {
#if defined(__x86_64__)
    case MD_CPU_AVX512:
        md_count_run(MD_FAMILY_PANELS, tier);
        if (m > 0 && n > 0 && k > 0) sgemm_panels_avx512(m, n, k, a, b, ldb, strip_stride, c, ldc);
        break;
    case MD_CPU_AVX2:
        md_count_run(MD_FAMILY_PANELS, tier);
        if (m > 0 && n > 0 && k > 0) md_sgemm_panels_avx2(m, n, k, a, b, ldb, strip_stride, c, ldc);
        break;
#endif
#if defined(__aarch64__)
    case MD_CPU_NEON:
        md_count_run(MD_FAMILY_PANELS, tier);
        if (m > 0 && n > 0 && k > 0) md_sgemm_panels_neon(m, n, k, a, b, ldb, strip_stride, c, ldc);
        break;
#endif
    default:
        return 0;
    }
    if (k == 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(long)i * ldc + j] = 0.0f;
    }
    return 1;
}
