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

// G panels (16·G rows from `a`, panels 16·k floats apart) × J columns
// (j0 … in B, jj0 … in the chunk's sums), steps [p0, p1): the accumulators
// start at 0 for the first k block, else at the sums (the chain continues
// through them), and go back to the sums.
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

typedef void (*tile_fn)(int, int, int, const float *, const float *, int, long, int, float *, int);
static tile_fn const tiles4[7] = {0, tile_4_1, tile_4_2, tile_4_3, tile_4_4, tile_4_5, tile_4_6};
static tile_fn const tiles1[7] = {0, tile_1_1, tile_1_2, tile_1_3, tile_1_4, tile_1_5, tile_1_6};

static TARGET void sgemm_panels_avx512(int m, int n, int k, const float *a, const float *b, int ldb,
                                       long strip_stride, float *c, int ldc) {
    float sums[PANELS_CHUNK * 4 * 16];
    for (int r0 = 0; r0 < m;) {
        // Four panels at a time (four independent chains per column hide
        // the FMA latency when there is one column), then single panels.
        int group = m - r0 > 48 ? 4 : 1;
        int rows = m - r0 < 16 * group ? m - r0 : 16 * group;
        const float *panel = a + (long)(r0 / 16) * 16 * k;
        for (int c0 = 0; c0 < n; c0 += PANELS_CHUNK) {
            int c1 = n - c0 < PANELS_CHUNK ? n : c0 + PANELS_CHUNK;
            int depth = c1 - c0 > PANELS_COLUMNS ? PANELS_DEPTH_BLOCK : k;
            for (int p0 = 0; p0 < k; p0 += depth) {
                int p1 = k - p0 < depth ? k : p0 + depth;
                for (int j0 = c0; j0 < c1;) {
                    int width = panels_block_width(j0, c1);
                    (group == 4 ? tiles4 : tiles1)[width](k, p0, p1, panel, b, ldb, strip_stride, j0, sums, j0 - c0);
                    j0 += width;
                }
            }
            panels_store(sums, group, rows, c0, c1 - c0, c + (long)r0 * ldc, ldc);
        }
        r0 += 16 * group;
    }
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
