// The blocks GEMM's layout and loops, shared by its tiers (internal to the
// micro-kernels). A is packed for the order the tiles read it: row blocks
// of BLOCKS_ROW_BLOCK rows, each cut in depth blocks of BLOCKS_DEPTH steps,
// each of those in micro-panels of BLOCKS_ROWS rows stored step-major
// (BLOCKS_ROWS floats per step). So a thread's reads of A are one forward
// stream, which the prefetchers (and the tiles' own prefetch) keep ahead
// of, while a depth block of B (BLOCKS_DEPTH × 64 floats, 32 KB) stays in
// L1 for every micro-panel of the row block and C's partial sums of the row
// block (96 × 64 floats) stay in L2.
#ifndef MD_SGEMM_BLOCKS_H
#define MD_SGEMM_BLOCKS_H

#define BLOCKS_ROWS 6
#define BLOCKS_DEPTH 128
#define BLOCKS_ROW_BLOCK 96 // 16 micro-panels

static inline int blocks_min(int a, int b) { return a < b ? a : b; }

// Where micro-panel row r0 (a multiple of BLOCKS_ROWS), depth block p0
// starts in the packed A: the row block's earlier depth blocks hold
// `rows in block` × p0 floats, and each earlier micro-panel of this depth
// block BLOCKS_ROWS × (its depth) floats. The last micro-panel of A has
// m mod BLOCKS_ROWS rows when m is not a multiple; nothing is padded.
static inline long blocks_offset(int m, int k, int r0, int p0) {
    int m0 = r0 / BLOCKS_ROW_BLOCK * BLOCKS_ROW_BLOCK;
    int block_rows = blocks_min(BLOCKS_ROW_BLOCK, m - m0);
    int depth = blocks_min(BLOCKS_DEPTH, k - p0);
    return (long)m0 * k + (long)block_rows * p0 + (long)(r0 - m0) * depth;
}

// A tier's tile of r rows (tiles[r − 1], r ≤ BLOCKS_ROWS) of C × `width`
// (≤ the tier's tile width) columns from j0, over the depth block
// [p0, p0 + depth): `a` is its micro-panel, `row` B's row p0 at column j0
// (a second strip of 32 columns `strip_stride` further on). The
// accumulators start at 0 for the first depth block, else at C's partial
// sums (the chain continues through them), and go back to C.
typedef void (*blocks_tile_fn)(int width, int p0, int depth, const float *a, const float *row, int ldb,
                               long strip_stride, float *c, int ldc);

// Rows [row0, row1) of C (row0 a multiple of BLOCKS_ROWS; row1 one too, or
// m): row blocks, depth blocks, tiles of `tile_width` columns, micro-panels.
static inline void blocks_run(int m, int n, int k, int row0, int row1, const float *a, const float *b, int ldb,
                              long strip_stride, float *c, int ldc, int tile_width,
                              blocks_tile_fn const tiles[BLOCKS_ROWS]) {
    for (int m0 = row0 / BLOCKS_ROW_BLOCK * BLOCKS_ROW_BLOCK; m0 < row1; m0 += BLOCKS_ROW_BLOCK) {
        int r_begin = m0 > row0 ? m0 : row0;
        int r_end = blocks_min(blocks_min(m0 + BLOCKS_ROW_BLOCK, m), row1);
        for (int p0 = 0; p0 < k; p0 += BLOCKS_DEPTH) {
            int depth = blocks_min(BLOCKS_DEPTH, k - p0);
            for (int j0 = 0; j0 < n; j0 += tile_width) {
                int width = blocks_min(tile_width, n - j0);
                const float *row = b + (long)(j0 / 32) * strip_stride + (long)p0 * ldb + j0 % 32;
                for (int r0 = r_begin; r0 < r_end; r0 += BLOCKS_ROWS) {
                    tiles[blocks_min(BLOCKS_ROWS, m - r0) - 1](width, p0, depth, a + blocks_offset(m, k, r0, p0),
                                                               row, ldb, strip_stride, c + (long)r0 * ldc + j0, ldc);
                }
            }
        }
    }
}

void md_sgemm_blocks_avx2(int m, int n, int k, int row0, int row1, const float *a, const float *b, int ldb,
                          long strip_stride, float *c, int ldc);
void md_sgemm_blocks_neon(int m, int n, int k, int row0, int row1, const float *a, const float *b, int ldb,
                          long strip_stride, float *c, int ldc);

#endif
