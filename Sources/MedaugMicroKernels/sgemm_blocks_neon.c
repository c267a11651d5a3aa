// The blocks GEMM, NEON tier: micro-panels of 6 rows broadcast × 16
// columns (four q registers), 24 accumulators of the 32 registers. A tile
// narrower than 16 columns copies its B rows into a zero-padded block
// first (NEON has no masked loads). The same chains (FMLA) as the x86
// tiers (sgemm_blocks.c), so the same bits.
#include "md_microkernels.h"
#include "sgemm_blocks.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define BLOCK_TILE(ROWS)                                                                                 \
    static void tile_##ROWS(int width, int p0, int depth, const float *a, const float *row, int ldb,     \
                            long strip_stride, float *c, int ldc) {                                      \
        (void)strip_stride; /* 16 columns from a multiple of 16: within one strip of 32 */               \
        float padded[BLOCKS_DEPTH * 16], sums[ROWS * 16];                                                \
        if (width < 16) {                                                                                \
            for (int p = 0; p < depth; p++)                                                              \
                for (int j = 0; j < 16; j++) padded[p * 16 + j] = j < width ? row[(long)p * ldb + j] : 0.0f; \
            row = padded, ldb = 16;                                                                      \
        }                                                                                                \
        float32x4_t acc[ROWS][4];                                                                        \
        for (int r = 0; r < ROWS; r++) {                                                                 \
            for (int j = 0; j < 16; j++) sums[r * 16 + j] = p0 == 0 || j >= width ? 0.0f : c[(long)r * ldc + j]; \
            for (int v = 0; v < 4; v++) acc[r][v] = vld1q_f32(sums + r * 16 + 4 * v);                    \
        }                                                                                                \
        for (int p = 0; p < depth; p++) {                                                                \
            float32x4_t y[4];                                                                            \
            for (int v = 0; v < 4; v++) y[v] = vld1q_f32(row + (long)p * ldb + 4 * v);                   \
            for (int r = 0; r < ROWS; r++) {                                                             \
                float x = a[(long)p * ROWS + r];                                                         \
                for (int v = 0; v < 4; v++) acc[r][v] = vfmaq_n_f32(acc[r][v], y[v], x);                 \
            }                                                                                            \
        }                                                                                                \
        for (int r = 0; r < ROWS; r++) {                                                                 \
            for (int v = 0; v < 4; v++) vst1q_f32(sums + r * 16 + 4 * v, acc[r][v]);                     \
            for (int j = 0; j < width; j++) c[(long)r * ldc + j] = sums[r * 16 + j];                     \
        }                                                                                                \
    }

BLOCK_TILE(1)
BLOCK_TILE(2)
BLOCK_TILE(3)
BLOCK_TILE(4)
BLOCK_TILE(5)
BLOCK_TILE(6)

static blocks_tile_fn const tiles[BLOCKS_ROWS] = {tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

void md_sgemm_blocks_neon(int m, int n, int k, int row0, int row1, const float *a, const float *b, int ldb,
                          long strip_stride, float *c, int ldc) {
    blocks_run(m, n, k, row0, row1, a, b, ldb, strip_stride, c, ldc, 16, tiles);
}
#endif
