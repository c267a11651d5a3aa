// The blocks GEMM, AVX-512 tier, its entry point (dispatching on the CPU
// tier; AVX2 in sgemm_blocks_avx2.c, NEON in sgemm_blocks_neon.c) and the
// packing of A.
//
// For products of a large A (the weights) with a few dozen to a few hundred
// columns: the 8×8-pixel layers of pix2pix's generator (64 columns per
// image). The panels kernel reads A with vector loads, so each of its
// loads serves at most 6 columns and a panel group is read again from L2
// for every 6 columns; at 64 columns that L2 traffic bound it to 115–120
// GFLOP/s on one core of an Intel Xeon (Emerald Rapids). Here A is
// broadcast from micro-panels of 6 rows and B read as 4 vectors (64
// columns), 24 accumulators: each float of A serves 64 columns from
// registers, B's depth block stays in L1. Measured on the same core
// (m 8064, n 64, k 1024, A streamed once): 166–173 GFLOP/s against
// 113–120; on two threads 321–332 against 223–236.
//
// Each element of C is one fused multiply-add chain over p = 0..k-1 in
// order from 0 (partial sums stored in C between depth blocks and loaded
// back exactly), as in the strips and panels kernels: the same bits, so an
// engine may use any of them for a layer (Gemm.multiplyColumnExact).
#include "md_microkernels.h"
#include "sgemm_blocks.h"

long md_blocks_count(int m, int k) { return m > 0 && k > 0 ? (long)m * k : 0; }

void md_pack_blocks(int m, int k, const float *a, long row_stride, long column_stride, float *packed) {
    for (int r0 = 0; r0 < m; r0 += BLOCKS_ROWS) {
        int rows = blocks_min(BLOCKS_ROWS, m - r0);
        for (int p0 = 0; p0 < k; p0 += BLOCKS_DEPTH) {
            int depth = blocks_min(BLOCKS_DEPTH, k - p0);
            float *panel = packed + blocks_offset(m, k, r0, p0);
            for (int p = 0; p < depth; p++)
                for (int l = 0; l < rows; l++)
                    panel[(long)p * rows + l] = a[(long)(r0 + l) * row_stride + (long)(p0 + p) * column_stride];
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

static inline TARGET __mmask16 lane_mask(int width, int v) {
    int lanes = width - 16 * v;
    return lanes >= 16 ? (__mmask16)0xFFFF : lanes <= 0 ? (__mmask16)0 : (__mmask16)((1u << lanes) - 1);
}

// ROWS rows × V vectors (16·V columns; V > 2 reads the second strip). A is
// prefetched 2 KB ahead: the stream runs from micro-panel to micro-panel.
#define BLOCK_TILE(ROWS, V)                                                                             \
    static TARGET void tile_##ROWS##_##V(int width, int p0, int depth, const float *a, const float *row, \
                                         int ldb, long strip_stride, float *c, int ldc) {                \
        __mmask16 mask[V];                                                                              \
        const float *source[V];                                                                         \
        __m512 acc[ROWS][V];                                                                            \
        for (int v = 0; v < V; v++) {                                                                   \
            mask[v] = lane_mask(width, v);                                                              \
            source[v] = row + (v < 2 ? 16 * v : strip_stride + 16 * (v - 2));                          \
        }                                                                                               \
        for (int r = 0; r < ROWS; r++)                                                                  \
            for (int v = 0; v < V; v++)                                                                 \
                acc[r][v] = p0 == 0 ? _mm512_setzero_ps()                                               \
                                    : _mm512_maskz_loadu_ps(mask[v], c + (long)r * ldc + 16 * v);        \
        for (int p = 0; p < depth; p++) {                                                               \
            _mm_prefetch((const char *)(a + (long)p * ROWS + 512), _MM_HINT_T0);                        \
            __m512 y[V];                                                                                \
            for (int v = 0; v < V; v++) y[v] = _mm512_maskz_loadu_ps(mask[v], source[v] + (long)p * ldb); \
            for (int r = 0; r < ROWS; r++) {                                                            \
                __m512 x = _mm512_set1_ps(a[(long)p * ROWS + r]);                                        \
                for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(x, y[v], acc[r][v]);            \
            }                                                                                           \
        }                                                                                               \
        for (int r = 0; r < ROWS; r++)                                                                  \
            for (int v = 0; v < V; v++) _mm512_mask_storeu_ps(c + (long)r * ldc + 16 * v, mask[v], acc[r][v]); \
    }

#define BLOCK_TILES(ROWS) BLOCK_TILE(ROWS, 1) BLOCK_TILE(ROWS, 2) BLOCK_TILE(ROWS, 3) BLOCK_TILE(ROWS, 4)
BLOCK_TILES(1)
BLOCK_TILES(2)
BLOCK_TILES(3)
BLOCK_TILES(4)
BLOCK_TILES(5)
BLOCK_TILES(6)

// ROWS rows, the tile of as many vectors as `width` needs.
#define ROWS_TILE(ROWS)                                                                                  \
    static void tile_##ROWS(int width, int p0, int depth, const float *a, const float *row, int ldb,     \
                            long strip_stride, float *c, int ldc) {                                      \
        static blocks_tile_fn const by_vectors[4] = {tile_##ROWS##_1, tile_##ROWS##_2, tile_##ROWS##_3,   \
                                                     tile_##ROWS##_4};                                   \
        by_vectors[(width + 15) / 16 - 1](width, p0, depth, a, row, ldb, strip_stride, c, ldc);          \
    }
ROWS_TILE(1)
ROWS_TILE(2)
ROWS_TILE(3)
ROWS_TILE(4)
ROWS_TILE(5)
ROWS_TILE(6)

static blocks_tile_fn const tiles[BLOCKS_ROWS] = {tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};
#endif

// Whether `tier` has code for the blocks GEMM.
static int has_code(int tier) {
#if defined(__x86_64__)
    if (tier == MD_CPU_AVX512 || tier == MD_CPU_AVX2) return 1;
#endif
#if defined(__aarch64__)
    if (tier == MD_CPU_NEON) return 1;
#endif
    return 0;
}

int md_sgemm_blocks(int m, int n, int k, int row0, int row1, const float *a, const float *b, int ldb,
                    long strip_stride, float *c, int ldc) {
    int tier = md_cpu_tier();
    if (!has_code(tier)) return 0;
    md_count_run(MD_FAMILY_BLOCKS, tier);
    if (row0 < 0) row0 = 0;
    if (row1 > m) row1 = m;
    if (row0 >= row1 || n <= 0) return 1;
    if (k <= 0) {
        for (int i = row0; i < row1; i++)
            for (int j = 0; j < n; j++) c[(long)i * ldc + j] = 0.0f;
        return 1;
    }
#if defined(__x86_64__)
    if (tier == MD_CPU_AVX512) blocks_run(m, n, k, row0, row1, a, b, ldb, strip_stride, c, ldc, 64, tiles);
    else md_sgemm_blocks_avx2(m, n, k, row0, row1, a, b, ldb, strip_stride, c, ldc);
#endif
#if defined(__aarch64__)
    md_sgemm_blocks_neon(m, n, k, row0, row1, a, b, ldb, strip_stride, c, ldc);
#endif
    return 1;
}
