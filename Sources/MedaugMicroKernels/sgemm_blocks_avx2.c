// The blocks GEMM, AVX2 + FMA tier: micro-panels of 6 rows broadcast × 16
// columns (two ymm), 12 accumulators of the 16 ymm registers; a row
// block's depth block of A (96 × 128 floats, 48 KB) is read from L2 once
// per 16 columns. The same chains as the AVX-512 tier (sgemm_blocks.c), so
// the same bits.
#include "md_microkernels.h"
#include "sgemm_blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

static inline TARGET __m256i lane_mask(int width, int h) {
    int lanes = width - 8 * h;
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), index);
}

// One depth block of a tile: LOAD(pointer, h) and STORE(pointer, h, value)
// read and write vector h (columns 8h … 8h + 7) of a row of B or C.
#define BLOCK_TILE_BODY(ROWS, LOAD, STORE)                                                               \
    __m256 acc[ROWS][2];                                                                                 \
    for (int r = 0; r < ROWS; r++)                                                                       \
        for (int h = 0; h < 2; h++) acc[r][h] = p0 == 0 ? _mm256_setzero_ps() : LOAD(c + (long)r * ldc, h); \
    for (int p = 0; p < depth; p++) {                                                                    \
        _mm_prefetch((const char *)(a + (long)p * ROWS + 256), _MM_HINT_T0);                             \
        __m256 y0 = LOAD(row + (long)p * ldb, 0), y1 = LOAD(row + (long)p * ldb, 1);                     \
        for (int r = 0; r < ROWS; r++) {                                                                 \
            __m256 x = _mm256_broadcast_ss(a + (long)p * ROWS + r);                                      \
            acc[r][0] = _mm256_fmadd_ps(x, y0, acc[r][0]);                                               \
            acc[r][1] = _mm256_fmadd_ps(x, y1, acc[r][1]);                                               \
        }                                                                                                \
    }                                                                                                    \
    for (int r = 0; r < ROWS; r++)                                                                       \
        for (int h = 0; h < 2; h++) STORE(c + (long)r * ldc, h, acc[r][h]);

#define PLAIN_LOAD(q, h) _mm256_loadu_ps((q) + 8 * (h))
#define PLAIN_STORE(q, h, v) _mm256_storeu_ps((q) + 8 * (h), (v))
#define MASKED_LOAD(q, h) _mm256_maskload_ps((q) + 8 * (h), mask[h])
#define MASKED_STORE(q, h, v) _mm256_maskstore_ps((q) + 8 * (h), mask[h], (v))

// A tile of ROWS rows × `width` columns. All 16 columns (every tile but a
// product's last) take plain loads and stores: AMD's masked stores are
// microcoded (vmaskmovps to memory, many cycles each), and on an AMD EPYC
// Zen 4 under the AVX2-only view (2026-12-06) the masked form held
// generator-256's 8×8-pixel layers (down.4, up.3) at 138–152 GFLOP/s
// against 191–208 for the AVX-512 tier on the same cores. The same
// arithmetic, so the same bits.
#define BLOCK_TILE(ROWS)                                                                                 \
    static TARGET void tile_##ROWS(int width, int p0, int depth, const float *a, const float *row, int ldb, \
                                   long strip_stride, float *c, int ldc) {                                  \
        (void)strip_stride; /* 16 columns from a multiple of 16: within one strip of 32 */                  \
        if (width == 16) {                                                                               \
            BLOCK_TILE_BODY(ROWS, PLAIN_LOAD, PLAIN_STORE)                                               \
        } else {                                                                                         \
            __m256i mask[2] = {lane_mask(width, 0), lane_mask(width, 1)};                                \
            BLOCK_TILE_BODY(ROWS, MASKED_LOAD, MASKED_STORE)                                             \
        }                                                                                                \
    }

BLOCK_TILE(1)
BLOCK_TILE(2)
BLOCK_TILE(3)
BLOCK_TILE(4)
BLOCK_TILE(5)
BLOCK_TILE(6)

static blocks_tile_fn const tiles[BLOCKS_ROWS] = {tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

void md_sgemm_blocks_avx2(int m, int n, int k, int row0, int row1, const float *a, const float *b, int ldb,
                          long strip_stride, float *c, int ldc) {
    blocks_run(m, n, k, row0, row1, a, b, ldb, strip_stride, c, ldc, 16, tiles);
}
#endif
