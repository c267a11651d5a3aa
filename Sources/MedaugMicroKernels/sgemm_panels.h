// The per-tier bodies of md_sgemm_panels (internal to the micro-kernels):
// m, n, k > 0, A in panels of 16 rows, B(p, j) at
// b + (j / 32)·strip_stride + p·ldb + j % 32, C overwritten.
#ifndef MD_SGEMM_PANELS_H
#define MD_SGEMM_PANELS_H

// Columns of C one pass of a tile keeps in registers; columns of a chunk,
// whose partial sums wait between k blocks in a stack buffer laid out like
// the panels (PANELS_CHUNK × 16 floats per panel: vector loads and stores);
// and the depth of a k block (A's block stays in L2 while the chunk's
// column blocks pass over it).
#define PANELS_COLUMNS 6
#define PANELS_CHUNK 64
#define PANELS_DEPTH_BLOCK 512

// B(p, j) as the entry point defines it.
static inline const float *panels_b(const float *b, int ldb, long strip_stride, int p, int j) {
    return b + (long)(j / 32) * strip_stride + (long)p * ldb + j % 32;
}

// The column blocks of a pass: at most PANELS_COLUMNS columns, never across
// a strip of 32 (so one block's columns are contiguous in B's rows); `n` is
// the end of the chunk.
static inline int panels_block_width(int j0, int n) {
    int width = n - j0 < PANELS_COLUMNS ? n - j0 : PANELS_COLUMNS;
    int strip_end = (j0 / 32 + 1) * 32;
    return j0 + width > strip_end ? strip_end - j0 : width;
}

// Writes `count` panels' partial sums (sums[(jj·count + g)·16 + l] for
// column j0 + jj of the chunk) to C's `rows` rows.
static inline void panels_store(const float *sums, int count, int rows, int j0, int width, float *c, int ldc) {
    for (int jj = 0; jj < width; jj++) {
        for (int g = 0; g < count; g++) {
            for (int l = 0; l < 16 && 16 * g + l < rows; l++) c[(long)(16 * g + l) * ldc + j0 + jj] = sums[(jj * count + g) * 16 + l];
        }
    }
}

// A tier's tile: `group` panels (16·group rows from `a`, panels 16·k floats
// apart) × `width` columns (j0 … in B, jj0 … in the chunk's sums), steps
// [p0, p1); the accumulators start at 0 for the first k block, else at the
// sums (the chain continues through them), and go back to the sums.
typedef void (*panels_tile_fn)(int k, int p0, int p1, const float *a, const float *b, int ldb, long strip_stride,
                               int j0, float *sums, int jj0);

// The loops every tier shares: groups of `tiles_per_group` panels while at
// least that many remain (`grouped`, indexed by width), then single panels
// (`single`); chunks of PANELS_CHUNK columns; k blocks when a chunk takes
// more than one pass; column blocks. `sums` holds PANELS_CHUNK × 16 floats
// per panel of a group.
static inline void panels_run(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                              float *c, int ldc, int tiles_per_group, panels_tile_fn const *grouped,
                              panels_tile_fn const *single, float *sums) {
    for (int r0 = 0; r0 < m;) {
        int group = m - r0 > 16 * (tiles_per_group - 1) ? tiles_per_group : 1;
        int rows = m - r0 < 16 * group ? m - r0 : 16 * group;
        const float *panel = a + (long)(r0 / 16) * 16 * k;
        panels_tile_fn const *tiles = group == 1 ? single : grouped;
        for (int c0 = 0; c0 < n; c0 += PANELS_CHUNK) {
            int c1 = n - c0 < PANELS_CHUNK ? n : c0 + PANELS_CHUNK;
            int depth = c1 - c0 > PANELS_COLUMNS ? PANELS_DEPTH_BLOCK : k;
            for (int p0 = 0; p0 < k; p0 += depth) {
                int p1 = k - p0 < depth ? k : p0 + depth;
                for (int j0 = c0; j0 < c1;) {
                    int width = panels_block_width(j0, c1);
                    tiles[width](k, p0, p1, panel, b, ldb, strip_stride, j0, sums, j0 - c0);
                    j0 += width;
                }
            }
            panels_store(sums, group, rows, c0, c1 - c0, c + (long)r0 * ldc, ldc);
        }
        r0 += 16 * group;
    }
}

void md_sgemm_panels_avx2(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc);
void md_sgemm_panels_neon(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc);

#endif
