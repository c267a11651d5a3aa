// The panels GEMM, AVX2 + FMA tier: one panel of 16 rows (two ymm) × up to
// 6 columns, 12 accumulators of the 16 ymm registers. The same chains as
// the AVX-512 tier (sgemm_panels.c), so the same bits.
#include "md_microkernels.h"
#include "sgemm_panels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

#define PANEL_TILE(J)                                                                                  \
    static TARGET void tile_##J(int k, int p0, int p1, const float *a, const float *b, int ldb,         \
                                long strip_stride, int j0, float *sums, int jj0) {                     \
        (void)k;                                                                                       \
        __m256 acc[2][J];                                                                              \
        for (int j = 0; j < J; j++) {                                                                  \
            for (int h = 0; h < 2; h++)                                                                \
                acc[h][j] = p0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(sums + (jj0 + j) * 16 + 8 * h); \
        }                                                                                              \
        for (int p = p0; p < p1; p++) {                                                                \
            const float *row = panels_b(b, ldb, strip_stride, p, j0);                                  \
            __m256 x0 = _mm256_loadu_ps(a + (long)p * 16), x1 = _mm256_loadu_ps(a + (long)p * 16 + 8); \
            for (int j = 0; j < J; j++) {                                                              \
                __m256 y = _mm256_broadcast_ss(row + j);                                               \
                acc[0][j] = _mm256_fmadd_ps(x0, y, acc[0][j]);                                         \
                acc[1][j] = _mm256_fmadd_ps(x1, y, acc[1][j]);                                         \
            }                                                                                          \
        }                                                                                              \
        for (int j = 0; j < J; j++) {                                                                  \
            for (int h = 0; h < 2; h++) _mm256_storeu_ps(sums + (jj0 + j) * 16 + 8 * h, acc[h][j]);    \
        }                                                                                              \
    }

PANEL_TILE(1)
PANEL_TILE(2)
PANEL_TILE(3)
PANEL_TILE(4)
PANEL_TILE(5)
PANEL_TILE(6)

static panels_tile_fn const tiles[7] = {0, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

void md_sgemm_panels_avx2(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc) {
    float sums[PANELS_CHUNK * 16];
    panels_run(m, n, k, a, b, ldb, strip_stride, c, ldc, 1, tiles, tiles, sums);
}
#endif
