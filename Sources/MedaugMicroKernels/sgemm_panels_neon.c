// The panels GEMM, NEON tier: one panel of 16 rows (four q registers) × up
// to 6 columns, 24 accumulators of the 32 registers. The same chains (FMLA)
// as the x86 tiers (sgemm_panels.c), so the same bits.
#include "md_microkernels.h"
#include "sgemm_panels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define PANEL_TILE(J)                                                                                  \
    static void tile_##J(int k, int p0, int p1, const float *a, const float *b, int ldb,               \
                         long strip_stride, int j0, float *sums, int jj0) {                            \
        (void)k;                                                                                       \
        float32x4_t acc[4][J];                                                                         \
        for (int j = 0; j < J; j++) {                                                                  \
            for (int v = 0; v < 4; v++)                                                                \
                acc[v][j] = p0 == 0 ? vdupq_n_f32(0.0f) : vld1q_f32(sums + (jj0 + j) * 16 + 4 * v);     \
        }                                                                                              \
        for (int p = p0; p < p1; p++) {                                                                \
            const float *row = panels_b(b, ldb, strip_stride, p, j0);                                  \
            float32x4_t x[4];                                                                          \
            for (int v = 0; v < 4; v++) x[v] = vld1q_f32(a + (long)p * 16 + 4 * v);                    \
            for (int j = 0; j < J; j++) {                                                              \
                for (int v = 0; v < 4; v++) acc[v][j] = vfmaq_n_f32(acc[v][j], x[v], row[j]);          \
            }                                                                                          \
        }                                                                                              \
        for (int j = 0; j < J; j++) {                                                                  \
            for (int v = 0; v < 4; v++) vst1q_f32(sums + (jj0 + j) * 16 + 4 * v, acc[v][j]);           \
        }                                                                                              \
    }

PANEL_TILE(1)
PANEL_TILE(2)
PANEL_TILE(3)
PANEL_TILE(4)
PANEL_TILE(5)
PANEL_TILE(6)

static panels_tile_fn const tiles[7] = {0, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

void md_sgemm_panels_neon(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc) {
    float sums[PANELS_CHUNK * 16];
    panels_run(m, n, k, a, b, ldb, strip_stride, c, ldc, 1, tiles, tiles, sums);
}
#endif
