// The panels GEMM, NEON tier: one panel of 16 rows (four q registers) × up
// to 6 columns, 24 accumulators of the 32 registers. The same chains (FMLA)
// as the x86 tiers (sgemm_panels.c), so the same bits.
#include "md_microkernels.h"
#include "sgemm_panels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define PANEL_TILE(J)                                                                                  \
    static void tile_##J(int p0, int p1, const float *a, const float *b, int ldb, long strip_stride,   \
                         int j0, float *c, int ldc, int rows) {                                        \
        float32x4_t acc[4][J];                                                                         \
        float lanes[16];                                                                               \
        for (int j = 0; j < J; j++) {                                                                  \
            for (int l = 0; l < 16; l++) lanes[l] = p0 > 0 && l < rows ? c[(long)l * ldc + j0 + j] : 0.0f; \
            for (int v = 0; v < 4; v++) acc[v][j] = vld1q_f32(lanes + 4 * v);                          \
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
            for (int v = 0; v < 4; v++) vst1q_f32(lanes + 4 * v, acc[v][j]);                           \
            for (int l = 0; l < 16 && l < rows; l++) c[(long)l * ldc + j0 + j] = lanes[l];             \
        }                                                                                              \
    }

PANEL_TILE(1)
PANEL_TILE(2)
PANEL_TILE(3)
PANEL_TILE(4)
PANEL_TILE(5)
PANEL_TILE(6)

typedef void (*tile_fn)(int, int, const float *, const float *, int, long, int, float *, int, int);
static tile_fn const tiles[7] = {0, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

void md_sgemm_panels_neon(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc) {
    int depth = n > PANELS_COLUMNS ? PANELS_DEPTH_BLOCK : k;
    for (int r0 = 0; r0 < m; r0 += 16) {
        int rows = m - r0 < 16 ? m - r0 : 16;
        const float *panel = a + (long)(r0 / 16) * 16 * k;
        for (int p0 = 0; p0 < k; p0 += depth) {
            int p1 = k - p0 < depth ? k : p0 + depth;
            for (int j0 = 0; j0 < n;) {
                int width = panels_block_width(j0, n);
                tiles[width](p0, p1, panel, b, ldb, strip_stride, j0, c + (long)r0 * ldc, ldc, rows);
                j0 += width;
            }
        }
    }
}
#endif
